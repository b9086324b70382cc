// The rule language's parser (Chevrotain CstParser): builds a concrete syntax tree, recovering from errors so
// one run reports every syntax problem of a file. The AST builder (ast-builder.ts) turns the CST into ast.ts.
import { CstParser, type CstNode } from "chevrotain";
import * as T from "./lexer.js";

export class RulesParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 4, nodeLocationTracking: "full" });
    this.performSelfAnalysis();
  }

  // file := rule*
  public file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.rule));
  });

  // rule := "on" event ["after" Duration] ["when" condition] "{" action* "}"
  private rule = this.RULE("rule", () => {
    this.CONSUME(T.On);
    this.OR([{ ALT: () => this.CONSUME(T.Store, { LABEL: "event" }) }, { ALT: () => this.CONSUME(T.Identifier, { LABEL: "event" }) }]);
    this.OPTION(() => {
      this.CONSUME(T.After);
      this.CONSUME(T.Duration, { LABEL: "after" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.orCondition, { LABEL: "condition" });
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.action);
      this.OPTION3(() => this.CONSUME(T.Semicolon));
    });
    this.CONSUME(T.RCurly);
  });

  // ------------------------------------------------------------ conditions (precedence: not > and > or)
  private orCondition = this.RULE("orCondition", () => {
    this.SUBRULE(this.andCondition, { LABEL: "items" });
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andCondition, { LABEL: "items" });
    });
  });

  private andCondition = this.RULE("andCondition", () => {
    this.SUBRULE(this.notCondition, { LABEL: "items" });
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notCondition, { LABEL: "items" });
    });
  });

  private notCondition = this.RULE("notCondition", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notCondition, { LABEL: "inner" });
        },
      },
      { ALT: () => this.SUBRULE(this.primaryCondition, { LABEL: "primary" }) },
    ]);
  });

  private primaryCondition = this.RULE("primaryCondition", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.orCondition, { LABEL: "group" });
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.CONSUME(T.Local) },
      {
        ALT: () => {
          this.SUBRULE(this.operand, { LABEL: "subject" });
          this.SUBRULE(this.predicate);
        },
      },
    ]);
  });

  // After the subject: == x | [not] in (...) | [not] matches /re/ | [not] exists | is [not] empty | [not] between a and b
  private predicate = this.RULE("predicate", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.CompareOp);
          this.SUBRULE(this.operand, { LABEL: "right" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Is);
          this.OPTION(() => this.CONSUME(T.Not));
          this.CONSUME(T.Empty);
        },
      },
      {
        ALT: () => {
          this.OPTION2(() => this.CONSUME2(T.Not));
          this.OR2([
            {
              ALT: () => {
                this.CONSUME(T.In);
                this.CONSUME(T.LParen);
                this.SUBRULE2(this.operand, { LABEL: "values" });
                this.MANY(() => {
                  this.CONSUME(T.Comma);
                  this.SUBRULE3(this.operand, { LABEL: "values" });
                });
                this.CONSUME(T.RParen);
              },
            },
            {
              ALT: () => {
                this.CONSUME(T.Matches);
                this.CONSUME(T.RegexLiteral);
              },
            },
            { ALT: () => this.CONSUME(T.Exists) },
            {
              ALT: () => {
                this.CONSUME(T.Between);
                this.SUBRULE4(this.operand, { LABEL: "low" });
                this.CONSUME(T.And);
                this.SUBRULE5(this.operand, { LABEL: "high" });
              },
            },
          ]);
        },
      },
    ]);
  });

  // operand := path | "string" | number | today/now [(+|-) Duration]
  private operand = this.RULE("operand", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.path) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus, { LABEL: "sign" }));
          this.OR2([{ ALT: () => this.CONSUME(T.NumberLiteral) }, { ALT: () => this.CONSUME(T.HexNumber) }]);
        },
      },
      {
        ALT: () => {
          this.OR3([{ ALT: () => this.CONSUME(T.Today) }, { ALT: () => this.CONSUME(T.Now) }]);
          this.OPTION2(() => {
            this.OR4([{ ALT: () => this.CONSUME(T.Plus, { LABEL: "offsetSign" }) }, { ALT: () => this.CONSUME2(T.Minus, { LABEL: "offsetSign" }) }]);
            this.CONSUME(T.Duration);
          });
        },
      },
    ]);
  });

  // path := step ("." step)* ; step := (Identifier | Tag | PrivateTag) ["[" (Number | "*") "]"]
  private path = this.RULE("path", () => {
    this.SUBRULE(this.step, { LABEL: "steps" });
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.SUBRULE2(this.step, { LABEL: "steps" });
    });
  });

  private step = this.RULE("step", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Tag) }, { ALT: () => this.CONSUME(T.PrivateTag) }]);
    this.OPTION(() => {
      this.CONSUME(T.LSquare);
      this.OR2([{ ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "index" }) }, { ALT: () => this.CONSUME(T.Star, { LABEL: "any" }) }]);
      this.CONSUME(T.RSquare);
    });
  });

  // name := Identifier | "string" (AE titles, command and view names)
  private name = this.RULE("name", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
  });

  // ------------------------------------------------------------ actions
  private action = this.RULE("action", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.acceptAction) },
      { ALT: () => this.SUBRULE(this.rejectAction) },
      { ALT: () => this.SUBRULE(this.setAction) },
      { ALT: () => this.SUBRULE(this.removeAction) },
      { ALT: () => this.SUBRULE(this.copyAction) },
      { ALT: () => this.SUBRULE(this.replaceAction) },
      { ALT: () => this.SUBRULE(this.mapAction) },
      { ALT: () => this.SUBRULE(this.newUidsAction) },
      { ALT: () => this.SUBRULE(this.storeAtAction) },
      { ALT: () => this.CONSUME(T.Discard) },
      { ALT: () => this.SUBRULE(this.forwardAction) },
      { ALT: () => this.SUBRULE(this.runAction) },
      { ALT: () => this.SUBRULE(this.logAction) },
      { ALT: () => this.CONSUME(T.Stop) },
      { ALT: () => this.SUBRULE(this.fromAction) },
      { ALT: () => this.SUBRULE(this.destinationAction) },
      { ALT: () => this.SUBRULE(this.reportAction) },
    ]);
  });

  // accept | accept only sop-classes|transfer-syntaxes ("a", "b")
  private acceptAction = this.RULE("acceptAction", () => {
    this.CONSUME(T.Accept);
    this.OPTION(() => {
      this.CONSUME(T.Only);
      this.CONSUME(T.Identifier, { LABEL: "what" });
      this.CONSUME(T.LParen);
      this.SUBRULE(this.name, { LABEL: "values" });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.name, { LABEL: "values" });
      });
      this.CONSUME(T.RParen);
    });
  });

  // reject [status] ["reason or comment"] [transient|permanent]
  private rejectAction = this.RULE("rejectAction", () => {
    this.CONSUME(T.Reject);
    this.OPTION(() => this.CONSUME(T.HexNumber, { LABEL: "status" }));
    this.OPTION2(() => this.CONSUME(T.StringLiteral, { LABEL: "text" }));
    this.OPTION3(() => this.OR([{ ALT: () => this.CONSUME(T.Transient) }, { ALT: () => this.CONSUME(T.Permanent) }]));
  });

  // set path [as VR] = "template" | number | path | empty
  private setAction = this.RULE("setAction", () => {
    this.CONSUME(T.Set);
    this.SUBRULE(this.path, { LABEL: "target" });
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier, { LABEL: "vr" });
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  private value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus, { LABEL: "sign" }));
          this.CONSUME(T.NumberLiteral);
        },
      },
      { ALT: () => this.CONSUME(T.Empty) },
      { ALT: () => this.SUBRULE(this.path) },
    ]);
  });

  private removeAction = this.RULE("removeAction", () => {
    this.CONSUME(T.Remove);
    this.SUBRULE(this.path, { LABEL: "target" });
  });

  private copyAction = this.RULE("copyAction", () => {
    this.CONSUME(T.Copy);
    this.SUBRULE(this.path, { LABEL: "from" });
    this.CONSUME(T.To);
    this.SUBRULE2(this.path, { LABEL: "to" });
  });

  // replace path /re/flags with "text"
  private replaceAction = this.RULE("replaceAction", () => {
    this.CONSUME(T.Replace);
    this.SUBRULE(this.path, { LABEL: "target" });
    this.CONSUME(T.RegexLiteral);
    this.CONSUME(T.With);
    this.CONSUME(T.StringLiteral, { LABEL: "replacement" });
  });

  // map path through "table.csv" [from "col" to "col"] [default value]
  private mapAction = this.RULE("mapAction", () => {
    this.CONSUME(T.Map);
    this.SUBRULE(this.path, { LABEL: "target" });
    this.CONSUME(T.Through);
    this.CONSUME(T.StringLiteral, { LABEL: "table" });
    this.OPTION(() => {
      this.CONSUME(T.From);
      this.CONSUME2(T.StringLiteral, { LABEL: "fromColumn" });
      this.CONSUME(T.To);
      this.CONSUME3(T.StringLiteral, { LABEL: "toColumn" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Default);
      this.SUBRULE(this.value, { LABEL: "fallback" });
    });
  });

  private newUidsAction = this.RULE("newUidsAction", () => {
    this.CONSUME(T.New);
    this.CONSUME(T.Uids);
  });

  private storeAtAction = this.RULE("storeAtAction", () => {
    this.CONSUME(T.Store);
    this.CONSUME(T.At);
    this.CONSUME(T.StringLiteral, { LABEL: "template" });
  });

  // forward to AE [, AE]*
  private forwardAction = this.RULE("forwardAction", () => {
    this.CONSUME(T.Forward);
    this.CONSUME(T.To);
    this.SUBRULE(this.name, { LABEL: "destinations" });
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.name, { LABEL: "destinations" });
    });
  });

  private runAction = this.RULE("runAction", () => {
    this.CONSUME(T.Run);
    this.SUBRULE(this.name, { LABEL: "command" });
  });

  private logAction = this.RULE("logAction", () => {
    this.CONSUME(T.Log);
    this.CONSUME(T.StringLiteral, { LABEL: "message" });
  });

  // answer from SOURCE | retrieve from SOURCE; SOURCE := local | view NAME | plugin NAME | AE
  private fromAction = this.RULE("fromAction", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Answer, { LABEL: "verb" }) }, { ALT: () => this.CONSUME(T.Retrieve, { LABEL: "verb" }) }]);
    this.CONSUME(T.From);
    this.OR2([
      { ALT: () => this.CONSUME(T.Local) },
      {
        ALT: () => {
          this.CONSUME(T.View);
          this.SUBRULE(this.name, { LABEL: "view" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Plugin);
          this.SUBRULE2(this.name, { LABEL: "plugin" });
        },
      },
      { ALT: () => this.SUBRULE3(this.name, { LABEL: "ae" }) },
    ]);
  });

  private destinationAction = this.RULE("destinationAction", () => {
    this.CONSUME(T.Destination);
    this.SUBRULE(this.name, { LABEL: "ae" });
  });

  // report [on] same|new|next association [after Duration] [wait for forwards]
  private reportAction = this.RULE("reportAction", () => {
    this.CONSUME(T.Report);
    this.OPTION(() => this.CONSUME(T.On));
    this.OR([{ ALT: () => this.CONSUME(T.Same, { LABEL: "mode" }) }, { ALT: () => this.CONSUME(T.New, { LABEL: "mode" }) }, { ALT: () => this.CONSUME(T.Next, { LABEL: "mode" }) }]);
    this.CONSUME(T.Association);
    this.OPTION2(() => {
      this.CONSUME(T.After);
      this.CONSUME(T.Duration);
    });
    this.OPTION3(() => {
      this.CONSUME(T.Wait);
      this.CONSUME(T.For);
      this.CONSUME(T.Forwards);
    });
  });
}

/** One parser instance is reused (Chevrotain parsers are stateful but cheap to reset via `input`). */
export const rulesParser = new RulesParser();

export type { CstNode };
