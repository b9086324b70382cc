// Conduit's implementation identity (PS3.7 D.3.3.2) and UID generation under the 2.25 root (PS3.5 B.2).
import { randomBytes, createHash } from "node:crypto";

export const IMPLEMENTATION_CLASS_UID = "2.25.160107617320609137130279771965251797560";
export const IMPLEMENTATION_VERSION_NAME = "CONDUIT_010";

/** A new globally unique UID derived from 128 random bits (PS3.5 B.2, ISO/IEC 9834-8 UUID form). */
export function newUid(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40; // UUID version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 1
  return `2.25.${BigInt(`0x${b.toString("hex")}`).toString()}`;
}

/** A UID derived deterministically from a seed: the same input always maps to the same UID (UUID version 5 style). */
export function derivedUid(seed: string): string {
  const b = createHash("sha256").update(seed).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${b.toString("hex")}`).toString()}`;
}

/** PS3.5 9.1: components of digits without leading zeros, separated by dots, at most 64 characters. */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}
