// DICOM SOP Class UIDs: every Storage SOP Class of PS3.4 Annex B (Table B.5-1) plus the
// retired storage classes still found in old archives, and the non-storage classes Conduit serves.
// UIDs, keywords and names follow PS3.6 Table A-1 (checked against the 2025 editions; no storage
// class was added through 2026b). Names drop PS3.6's "(Retired)" suffix; `retired` carries it.

export interface SopClass {
  uid: string;
  /** PS3.6 Table A-1 "Keyword" column. */
  keyword: string;
  /** PS3.6 Table A-1 "UID Name" column, without "(Retired)". */
  name: string;
  retired: boolean;
}

// [uid, keyword, name, retired?]
type Row = readonly [uid: string, keyword: string, name: string, retired?: boolean];

// PS3.4 Table B.5-1 plus retired storage UIDs. Deliberately absent: Media Storage Directory
// Storage (media only, PS3.4 Annex I), the Annex GG non-patient objects (hanging protocol, color
// palette, implant templates, defined procedure protocols, protocol approval, inventory), and the
// DICOS (501.x) and DICONDE (601.x) classes, which PS3.6 lists but other standards define.
const STORAGE_TABLE: readonly Row[] = [
  // Hardcopy / stored print objects, once sent with C-STORE (retired in PS3.6).
  ["1.2.840.10008.5.1.1.27", "StoredPrintStorage", "Stored Print Storage SOP Class", true],
  ["1.2.840.10008.5.1.1.29", "HardcopyGrayscaleImageStorage", "Hardcopy Grayscale Image Storage SOP Class", true],
  ["1.2.840.10008.5.1.1.30", "HardcopyColorImageStorage", "Hardcopy Color Image Storage SOP Class", true],
  // Projection radiography: CR, DX, mammography, intra-oral (PS3.3 A.2, A.26-A.28).
  ["1.2.840.10008.5.1.4.1.1.1", "ComputedRadiographyImageStorage", "Computed Radiography Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.1.1", "DigitalXRayImageStorageForPresentation", "Digital X-Ray Image Storage - For Presentation"],
  ["1.2.840.10008.5.1.4.1.1.1.1.1", "DigitalXRayImageStorageForProcessing", "Digital X-Ray Image Storage - For Processing"],
  ["1.2.840.10008.5.1.4.1.1.1.2", "DigitalMammographyXRayImageStorageForPresentation", "Digital Mammography X-Ray Image Storage - For Presentation"],
  ["1.2.840.10008.5.1.4.1.1.1.2.1", "DigitalMammographyXRayImageStorageForProcessing", "Digital Mammography X-Ray Image Storage - For Processing"],
  ["1.2.840.10008.5.1.4.1.1.1.3", "DigitalIntraOralXRayImageStorageForPresentation", "Digital Intra-Oral X-Ray Image Storage - For Presentation"],
  ["1.2.840.10008.5.1.4.1.1.1.3.1", "DigitalIntraOralXRayImageStorageForProcessing", "Digital Intra-Oral X-Ray Image Storage - For Processing"],
  // CT (PS3.3 A.3, A.38, A.70).
  ["1.2.840.10008.5.1.4.1.1.2", "CTImageStorage", "CT Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.2.1", "EnhancedCTImageStorage", "Enhanced CT Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.2.2", "LegacyConvertedEnhancedCTImageStorage", "Legacy Converted Enhanced CT Image Storage"],
  // Ultrasound multi-frame (PS3.3 A.7); the bare .3 UID is the retired original.
  ["1.2.840.10008.5.1.4.1.1.3", "UltrasoundMultiFrameImageStorageRetired", "Ultrasound Multi-frame Image Storage", true],
  ["1.2.840.10008.5.1.4.1.1.3.1", "UltrasoundMultiFrameImageStorage", "Ultrasound Multi-frame Image Storage"],
  // MR (PS3.3 A.4, A.36, A.71).
  ["1.2.840.10008.5.1.4.1.1.4", "MRImageStorage", "MR Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.4.1", "EnhancedMRImageStorage", "Enhanced MR Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.4.2", "MRSpectroscopyStorage", "MR Spectroscopy Storage"],
  ["1.2.840.10008.5.1.4.1.1.4.3", "EnhancedMRColorImageStorage", "Enhanced MR Color Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.4.4", "LegacyConvertedEnhancedMRImageStorage", "Legacy Converted Enhanced MR Image Storage"],
  // Retired original NM and US UIDs, then ultrasound and photoacoustic (PS3.3 A.6, A.59).
  ["1.2.840.10008.5.1.4.1.1.5", "NuclearMedicineImageStorageRetired", "Nuclear Medicine Image Storage", true],
  ["1.2.840.10008.5.1.4.1.1.6", "UltrasoundImageStorageRetired", "Ultrasound Image Storage", true],
  ["1.2.840.10008.5.1.4.1.1.6.1", "UltrasoundImageStorage", "Ultrasound Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.6.2", "EnhancedUSVolumeStorage", "Enhanced US Volume Storage"],
  ["1.2.840.10008.5.1.4.1.1.6.3", "PhotoacousticImageStorage", "Photoacoustic Image Storage"],
  // Secondary capture (PS3.3 A.8).
  ["1.2.840.10008.5.1.4.1.1.7", "SecondaryCaptureImageStorage", "Secondary Capture Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.7.1", "MultiFrameSingleBitSecondaryCaptureImageStorage", "Multi-frame Single Bit Secondary Capture Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.7.2", "MultiFrameGrayscaleByteSecondaryCaptureImageStorage", "Multi-frame Grayscale Byte Secondary Capture Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.7.3", "MultiFrameGrayscaleWordSecondaryCaptureImageStorage", "Multi-frame Grayscale Word Secondary Capture Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.7.4", "MultiFrameTrueColorSecondaryCaptureImageStorage", "Multi-frame True Color Secondary Capture Image Storage"],
  // Retired standalone overlay/curve objects and the trial waveform UID.
  ["1.2.840.10008.5.1.4.1.1.8", "StandaloneOverlayStorage", "Standalone Overlay Storage", true],
  ["1.2.840.10008.5.1.4.1.1.9", "StandaloneCurveStorage", "Standalone Curve Storage", true],
  ["1.2.840.10008.5.1.4.1.1.9.1", "WaveformStorageTrial", "Waveform Storage - Trial", true],
  // Waveforms (PS3.3 A.34) and waveform presentation states.
  ["1.2.840.10008.5.1.4.1.1.9.1.1", "TwelveLeadECGWaveformStorage", "12-lead ECG Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.1.2", "GeneralECGWaveformStorage", "General ECG Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.1.3", "AmbulatoryECGWaveformStorage", "Ambulatory ECG Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.1.4", "General32bitECGWaveformStorage", "General 32-bit ECG Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.2.1", "HemodynamicWaveformStorage", "Hemodynamic Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.3.1", "CardiacElectrophysiologyWaveformStorage", "Cardiac Electrophysiology Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.4.1", "BasicVoiceAudioWaveformStorage", "Basic Voice Audio Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.4.2", "GeneralAudioWaveformStorage", "General Audio Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.5.1", "ArterialPulseWaveformStorage", "Arterial Pulse Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.6.1", "RespiratoryWaveformStorage", "Respiratory Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.6.2", "MultichannelRespiratoryWaveformStorage", "Multi-channel Respiratory Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.7.1", "RoutineScalpElectroencephalogramWaveformStorage", "Routine Scalp Electroencephalogram Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.7.2", "ElectromyogramWaveformStorage", "Electromyogram Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.7.3", "ElectrooculogramWaveformStorage", "Electrooculogram Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.7.4", "SleepElectroencephalogramWaveformStorage", "Sleep Electroencephalogram Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.8.1", "BodyPositionWaveformStorage", "Body Position Waveform Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.100.1", "WaveformPresentationStateStorage", "Waveform Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.9.100.2", "WaveformAcquisitionPresentationStateStorage", "Waveform Acquisition Presentation State Storage"],
  // Retired standalone LUTs, then softcopy and volumetric presentation states (PS3.3 A.33, A.80).
  ["1.2.840.10008.5.1.4.1.1.10", "StandaloneModalityLUTStorage", "Standalone Modality LUT Storage", true],
  ["1.2.840.10008.5.1.4.1.1.11", "StandaloneVOILUTStorage", "Standalone VOI LUT Storage", true],
  ["1.2.840.10008.5.1.4.1.1.11.1", "GrayscaleSoftcopyPresentationStateStorage", "Grayscale Softcopy Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.2", "ColorSoftcopyPresentationStateStorage", "Color Softcopy Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.3", "PseudoColorSoftcopyPresentationStateStorage", "Pseudo-Color Softcopy Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.4", "BlendingSoftcopyPresentationStateStorage", "Blending Softcopy Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.5", "XAXRFGrayscaleSoftcopyPresentationStateStorage", "XA/XRF Grayscale Softcopy Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.6", "GrayscalePlanarMPRVolumetricPresentationStateStorage", "Grayscale Planar MPR Volumetric Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.7", "CompositingPlanarMPRVolumetricPresentationStateStorage", "Compositing Planar MPR Volumetric Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.8", "AdvancedBlendingPresentationStateStorage", "Advanced Blending Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.9", "VolumeRenderingVolumetricPresentationStateStorage", "Volume Rendering Volumetric Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.10", "SegmentedVolumeRenderingVolumetricPresentationStateStorage", "Segmented Volume Rendering Volumetric Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.11", "MultipleVolumeRenderingVolumetricPresentationStateStorage", "Multiple Volume Rendering Volumetric Presentation State Storage"],
  ["1.2.840.10008.5.1.4.1.1.11.12", "VariableModalityLUTSoftcopyPresentationStateStorage", "Variable Modality LUT Softcopy Presentation State Storage"],
  // X-ray angiography and fluoroscopy (PS3.3 A.14, A.16, A.47, A.48); bi-plane is retired.
  ["1.2.840.10008.5.1.4.1.1.12.1", "XRayAngiographicImageStorage", "X-Ray Angiographic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.12.1.1", "EnhancedXAImageStorage", "Enhanced XA Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.12.2", "XRayRadiofluoroscopicImageStorage", "X-Ray Radiofluoroscopic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.12.2.1", "EnhancedXRFImageStorage", "Enhanced XRF Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.12.3", "XRayAngiographicBiPlaneImageStorage", "X-Ray Angiographic Bi-Plane Image Storage", true],
  // 3D X-ray, breast tomosynthesis and breast projection X-ray (PS3.3 A.53-A.55, A.74).
  ["1.2.840.10008.5.1.4.1.1.13.1.1", "XRay3DAngiographicImageStorage", "X-Ray 3D Angiographic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.13.1.2", "XRay3DCraniofacialImageStorage", "X-Ray 3D Craniofacial Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.13.1.3", "BreastTomosynthesisImageStorage", "Breast Tomosynthesis Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.13.1.4", "BreastProjectionXRayImageStorageForPresentation", "Breast Projection X-Ray Image Storage - For Presentation"],
  ["1.2.840.10008.5.1.4.1.1.13.1.5", "BreastProjectionXRayImageStorageForProcessing", "Breast Projection X-Ray Image Storage - For Processing"],
  // Intravascular OCT (PS3.3 A.66).
  ["1.2.840.10008.5.1.4.1.1.14.1", "IntravascularOpticalCoherenceTomographyImageStorageForPresentation", "Intravascular Optical Coherence Tomography Image Storage - For Presentation"],
  ["1.2.840.10008.5.1.4.1.1.14.2", "IntravascularOpticalCoherenceTomographyImageStorageForProcessing", "Intravascular Optical Coherence Tomography Image Storage - For Processing"],
  // Nuclear medicine and parametric map (PS3.3 A.5, A.75).
  ["1.2.840.10008.5.1.4.1.1.20", "NuclearMedicineImageStorage", "Nuclear Medicine Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.30", "ParametricMapStorage", "Parametric Map Storage"],
  // Raw data, registration, fiducials, segmentations, tractography, RWV mapping, surface scans.
  ["1.2.840.10008.5.1.4.1.1.66", "RawDataStorage", "Raw Data Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.1", "SpatialRegistrationStorage", "Spatial Registration Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.2", "SpatialFiducialsStorage", "Spatial Fiducials Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.3", "DeformableSpatialRegistrationStorage", "Deformable Spatial Registration Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.4", "SegmentationStorage", "Segmentation Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.5", "SurfaceSegmentationStorage", "Surface Segmentation Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.6", "TractographyResultsStorage", "Tractography Results Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.7", "LabelMapSegmentationStorage", "Label Map Segmentation Storage"],
  ["1.2.840.10008.5.1.4.1.1.66.8", "HeightMapSegmentationStorage", "Height Map Segmentation Storage"],
  ["1.2.840.10008.5.1.4.1.1.67", "RealWorldValueMappingStorage", "Real World Value Mapping Storage"],
  ["1.2.840.10008.5.1.4.1.1.68.1", "SurfaceScanMeshStorage", "Surface Scan Mesh Storage"],
  ["1.2.840.10008.5.1.4.1.1.68.2", "SurfaceScanPointCloudStorage", "Surface Scan Point Cloud Storage"],
  // Visible light: endoscopy, microscopy, photography, ophthalmic imaging (PS3.3 A.32, A.41-A.43, A.52, A.76, A.77, A.83, A.84).
  ["1.2.840.10008.5.1.4.1.1.77.1", "VLImageStorageTrial", "VL Image Storage - Trial", true],
  ["1.2.840.10008.5.1.4.1.1.77.1.1", "VLEndoscopicImageStorage", "VL Endoscopic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.1.1", "VideoEndoscopicImageStorage", "Video Endoscopic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.2", "VLMicroscopicImageStorage", "VL Microscopic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.2.1", "VideoMicroscopicImageStorage", "Video Microscopic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.3", "VLSlideCoordinatesMicroscopicImageStorage", "VL Slide-Coordinates Microscopic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.4", "VLPhotographicImageStorage", "VL Photographic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.4.1", "VideoPhotographicImageStorage", "Video Photographic Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.1", "OphthalmicPhotography8BitImageStorage", "Ophthalmic Photography 8 Bit Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.2", "OphthalmicPhotography16BitImageStorage", "Ophthalmic Photography 16 Bit Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.3", "StereometricRelationshipStorage", "Stereometric Relationship Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.4", "OphthalmicTomographyImageStorage", "Ophthalmic Tomography Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.5", "WideFieldOphthalmicPhotographyStereographicProjectionImageStorage", "Wide Field Ophthalmic Photography Stereographic Projection Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.6", "WideFieldOphthalmicPhotography3DCoordinatesImageStorage", "Wide Field Ophthalmic Photography 3D Coordinates Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.7", "OphthalmicOpticalCoherenceTomographyEnFaceImageStorage", "Ophthalmic Optical Coherence Tomography En Face Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.5.8", "OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage", "Ophthalmic Optical Coherence Tomography B-scan Volume Analysis Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.6", "VLWholeSlideMicroscopyImageStorage", "VL Whole Slide Microscopy Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.7", "DermoscopicPhotographyImageStorage", "Dermoscopic Photography Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.8", "ConfocalMicroscopyImageStorage", "Confocal Microscopy Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.1.9", "ConfocalMicroscopyTiledPyramidalImageStorage", "Confocal Microscopy Tiled Pyramidal Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.77.2", "VLMultiFrameImageStorageTrial", "VL Multi-frame Image Storage - Trial", true],
  // Ophthalmic measurements, reports and maps (PS3.3 A.60, A.65, A.67, A.73).
  ["1.2.840.10008.5.1.4.1.1.78.1", "LensometryMeasurementsStorage", "Lensometry Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.2", "AutorefractionMeasurementsStorage", "Autorefraction Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.3", "KeratometryMeasurementsStorage", "Keratometry Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.4", "SubjectiveRefractionMeasurementsStorage", "Subjective Refraction Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.5", "VisualAcuityMeasurementsStorage", "Visual Acuity Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.6", "SpectaclePrescriptionReportStorage", "Spectacle Prescription Report Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.7", "OphthalmicAxialMeasurementsStorage", "Ophthalmic Axial Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.78.8", "IntraocularLensCalculationsStorage", "Intraocular Lens Calculations Storage"],
  ["1.2.840.10008.5.1.4.1.1.79.1", "MacularGridThicknessAndVolumeReportStorage", "Macular Grid Thickness and Volume Report Storage"],
  ["1.2.840.10008.5.1.4.1.1.80.1", "OphthalmicVisualFieldStaticPerimetryMeasurementsStorage", "Ophthalmic Visual Field Static Perimetry Measurements Storage"],
  ["1.2.840.10008.5.1.4.1.1.81.1", "OphthalmicThicknessMapStorage", "Ophthalmic Thickness Map Storage"],
  ["1.2.840.10008.5.1.4.1.1.82.1", "CornealTopographyMapStorage", "Corneal Topography Map Storage"],
  // Structured reports and SR-based documents (PS3.3 A.35); the four '- Trial' UIDs are retired.
  ["1.2.840.10008.5.1.4.1.1.88.1", "TextSRStorageTrial", "Text SR Storage - Trial", true],
  ["1.2.840.10008.5.1.4.1.1.88.2", "AudioSRStorageTrial", "Audio SR Storage - Trial", true],
  ["1.2.840.10008.5.1.4.1.1.88.3", "DetailSRStorageTrial", "Detail SR Storage - Trial", true],
  ["1.2.840.10008.5.1.4.1.1.88.4", "ComprehensiveSRStorageTrial", "Comprehensive SR Storage - Trial", true],
  ["1.2.840.10008.5.1.4.1.1.88.11", "BasicTextSRStorage", "Basic Text SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.22", "EnhancedSRStorage", "Enhanced SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.33", "ComprehensiveSRStorage", "Comprehensive SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.34", "Comprehensive3DSRStorage", "Comprehensive 3D SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.35", "ExtensibleSRStorage", "Extensible SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.40", "ProcedureLogStorage", "Procedure Log Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.50", "MammographyCADSRStorage", "Mammography CAD SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.59", "KeyObjectSelectionDocumentStorage", "Key Object Selection Document Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.65", "ChestCADSRStorage", "Chest CAD SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.67", "XRayRadiationDoseSRStorage", "X-Ray Radiation Dose SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.68", "RadiopharmaceuticalRadiationDoseSRStorage", "Radiopharmaceutical Radiation Dose SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.69", "ColonCADSRStorage", "Colon CAD SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.70", "ImplantationPlanSRStorage", "Implantation Plan SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.71", "AcquisitionContextSRStorage", "Acquisition Context SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.72", "SimplifiedAdultEchoSRStorage", "Simplified Adult Echo SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.73", "PatientRadiationDoseSRStorage", "Patient Radiation Dose SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.74", "PlannedImagingAgentAdministrationSRStorage", "Planned Imaging Agent Administration SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.75", "PerformedImagingAgentAdministrationSRStorage", "Performed Imaging Agent Administration SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.76", "EnhancedXRayRadiationDoseSRStorage", "Enhanced X-Ray Radiation Dose SR Storage"],
  ["1.2.840.10008.5.1.4.1.1.88.77", "WaveformAnnotationSRStorage", "Waveform Annotation SR Storage"],
  // Content assessment results and microscopy bulk simple annotations.
  ["1.2.840.10008.5.1.4.1.1.90.1", "ContentAssessmentResultsStorage", "Content Assessment Results Storage"],
  ["1.2.840.10008.5.1.4.1.1.91.1", "MicroscopyBulkSimpleAnnotationsStorage", "Microscopy Bulk Simple Annotations Storage"],
  // Encapsulated documents (PS3.3 A.45, A.85).
  ["1.2.840.10008.5.1.4.1.1.104.1", "EncapsulatedPDFStorage", "Encapsulated PDF Storage"],
  ["1.2.840.10008.5.1.4.1.1.104.2", "EncapsulatedCDAStorage", "Encapsulated CDA Storage"],
  ["1.2.840.10008.5.1.4.1.1.104.3", "EncapsulatedSTLStorage", "Encapsulated STL Storage"],
  ["1.2.840.10008.5.1.4.1.1.104.4", "EncapsulatedOBJStorage", "Encapsulated OBJ Storage"],
  ["1.2.840.10008.5.1.4.1.1.104.5", "EncapsulatedMTLStorage", "Encapsulated MTL Storage"],
  // PET (PS3.3 A.21, A.56, A.72); .129 is the retired standalone PET curve.
  ["1.2.840.10008.5.1.4.1.1.128", "PositronEmissionTomographyImageStorage", "Positron Emission Tomography Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.128.1", "LegacyConvertedEnhancedPETImageStorage", "Legacy Converted Enhanced PET Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.129", "StandalonePETCurveStorage", "Standalone PET Curve Storage", true],
  ["1.2.840.10008.5.1.4.1.1.130", "EnhancedPETImageStorage", "Enhanced PET Image Storage"],
  // Basic structured display (PS3.3 A.33.5).
  ["1.2.840.10008.5.1.4.1.1.131", "BasicStructuredDisplayStorage", "Basic Structured Display Storage"],
  // Performed procedure protocols (PS3.3 A.82); the defined ones are Annex GG non-patient objects.
  ["1.2.840.10008.5.1.4.1.1.200.2", "CTPerformedProcedureProtocolStorage", "CT Performed Procedure Protocol Storage"],
  ["1.2.840.10008.5.1.4.1.1.200.8", "XAPerformedProcedureProtocolStorage", "XA Performed Procedure Protocol Storage"],
  // Radiotherapy, first and second generation (PS3.3 A.17-A.20, A.29-A.31, A.49, A.50, A.86).
  ["1.2.840.10008.5.1.4.1.1.481.1", "RTImageStorage", "RT Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.2", "RTDoseStorage", "RT Dose Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.3", "RTStructureSetStorage", "RT Structure Set Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.4", "RTBeamsTreatmentRecordStorage", "RT Beams Treatment Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.5", "RTPlanStorage", "RT Plan Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.6", "RTBrachyTreatmentRecordStorage", "RT Brachy Treatment Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.7", "RTTreatmentSummaryRecordStorage", "RT Treatment Summary Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.8", "RTIonPlanStorage", "RT Ion Plan Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.9", "RTIonBeamsTreatmentRecordStorage", "RT Ion Beams Treatment Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.10", "RTPhysicianIntentStorage", "RT Physician Intent Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.11", "RTSegmentAnnotationStorage", "RT Segment Annotation Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.12", "RTRadiationSetStorage", "RT Radiation Set Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.13", "CArmPhotonElectronRadiationStorage", "C-Arm Photon-Electron Radiation Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.14", "TomotherapeuticRadiationStorage", "Tomotherapeutic Radiation Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.15", "RoboticArmRadiationStorage", "Robotic-Arm Radiation Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.16", "RTRadiationRecordSetStorage", "RT Radiation Record Set Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.17", "RTRadiationSalvageRecordStorage", "RT Radiation Salvage Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.18", "TomotherapeuticRadiationRecordStorage", "Tomotherapeutic Radiation Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.19", "CArmPhotonElectronRadiationRecordStorage", "C-Arm Photon-Electron Radiation Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.20", "RoboticRadiationRecordStorage", "Robotic Radiation Record Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.21", "RTRadiationSetDeliveryInstructionStorage", "RT Radiation Set Delivery Instruction Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.22", "RTTreatmentPreparationStorage", "RT Treatment Preparation Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.23", "EnhancedRTImageStorage", "Enhanced RT Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.24", "EnhancedContinuousRTImageStorage", "Enhanced Continuous RT Image Storage"],
  ["1.2.840.10008.5.1.4.1.1.481.25", "RTPatientPositionAcquisitionInstructionStorage", "RT Patient Position Acquisition Instruction Storage"],
  // RT delivery instructions (PS3.3 A.64, A.79); the trial UID is retired.
  ["1.2.840.10008.5.1.4.34.1", "RTBeamsDeliveryInstructionStorageTrial", "RT Beams Delivery Instruction Storage - Trial", true],
  ["1.2.840.10008.5.1.4.34.7", "RTBeamsDeliveryInstructionStorage", "RT Beams Delivery Instruction Storage"],
  ["1.2.840.10008.5.1.4.34.10", "RTBrachyApplicationSetupDeliveryInstructionStorage", "RT Brachy Application Setup Delivery Instruction Storage"],
];

// Network services Conduit implements; UIDs from PS3.6 Table A-1.
export const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";
export const STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS = "1.2.840.10008.1.20.1";
/** Well-known SOP Instance addressed by N-ACTION / N-EVENT-REPORT (PS3.4 J.3.5). */
export const STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE = "1.2.840.10008.1.20.1.1";
export const PATIENT_ROOT_QR_FIND = "1.2.840.10008.5.1.4.1.2.1.1";
export const PATIENT_ROOT_QR_MOVE = "1.2.840.10008.5.1.4.1.2.1.2";
export const PATIENT_ROOT_QR_GET = "1.2.840.10008.5.1.4.1.2.1.3";
export const STUDY_ROOT_QR_FIND = "1.2.840.10008.5.1.4.1.2.2.1";
export const STUDY_ROOT_QR_MOVE = "1.2.840.10008.5.1.4.1.2.2.2";
export const STUDY_ROOT_QR_GET = "1.2.840.10008.5.1.4.1.2.2.3";
/** Retired (PS3.4 C.6.3), still proposed by some old SCUs. */
export const PATIENT_STUDY_ONLY_QR_FIND = "1.2.840.10008.5.1.4.1.2.3.1";
export const PATIENT_STUDY_ONLY_QR_MOVE = "1.2.840.10008.5.1.4.1.2.3.2";
export const PATIENT_STUDY_ONLY_QR_GET = "1.2.840.10008.5.1.4.1.2.3.3";
export const COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE = "1.2.840.10008.5.1.4.1.2.4.2";
export const COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET = "1.2.840.10008.5.1.4.1.2.4.3";
export const COMPOSITE_INSTANCE_RETRIEVE_WITHOUT_BULK_DATA_GET = "1.2.840.10008.5.1.4.1.2.5.3";
export const MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31";
export const MODALITY_PERFORMED_PROCEDURE_STEP = "1.2.840.10008.3.1.2.3.3";
/** Not a SOP Class: the single Application Context Name of PS3.7 A.2.1, listed for lookups. */
export const APPLICATION_CONTEXT_NAME = "1.2.840.10008.3.1.1.1";

const NON_STORAGE_TABLE: readonly Row[] = [
  [VERIFICATION_SOP_CLASS, "Verification", "Verification SOP Class"],
  [STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, "StorageCommitmentPushModel", "Storage Commitment Push Model SOP Class"],
  [STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, "StorageCommitmentPushModelInstance", "Storage Commitment Push Model SOP Instance"],
  [PATIENT_ROOT_QR_FIND, "PatientRootQueryRetrieveInformationModelFind", "Patient Root Query/Retrieve Information Model - FIND"],
  [PATIENT_ROOT_QR_MOVE, "PatientRootQueryRetrieveInformationModelMove", "Patient Root Query/Retrieve Information Model - MOVE"],
  [PATIENT_ROOT_QR_GET, "PatientRootQueryRetrieveInformationModelGet", "Patient Root Query/Retrieve Information Model - GET"],
  [STUDY_ROOT_QR_FIND, "StudyRootQueryRetrieveInformationModelFind", "Study Root Query/Retrieve Information Model - FIND"],
  [STUDY_ROOT_QR_MOVE, "StudyRootQueryRetrieveInformationModelMove", "Study Root Query/Retrieve Information Model - MOVE"],
  [STUDY_ROOT_QR_GET, "StudyRootQueryRetrieveInformationModelGet", "Study Root Query/Retrieve Information Model - GET"],
  [PATIENT_STUDY_ONLY_QR_FIND, "PatientStudyOnlyQueryRetrieveInformationModelFind", "Patient/Study Only Query/Retrieve Information Model - FIND", true],
  [PATIENT_STUDY_ONLY_QR_MOVE, "PatientStudyOnlyQueryRetrieveInformationModelMove", "Patient/Study Only Query/Retrieve Information Model - MOVE", true],
  [PATIENT_STUDY_ONLY_QR_GET, "PatientStudyOnlyQueryRetrieveInformationModelGet", "Patient/Study Only Query/Retrieve Information Model - GET", true],
  [COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE, "CompositeInstanceRootRetrieveMove", "Composite Instance Root Retrieve - MOVE"],
  [COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET, "CompositeInstanceRootRetrieveGet", "Composite Instance Root Retrieve - GET"],
  [COMPOSITE_INSTANCE_RETRIEVE_WITHOUT_BULK_DATA_GET, "CompositeInstanceRetrieveWithoutBulkDataGet", "Composite Instance Retrieve Without Bulk Data - GET"],
  [MODALITY_WORKLIST_FIND, "ModalityWorklistInformationModelFind", "Modality Worklist Information Model - FIND"],
  [MODALITY_PERFORMED_PROCEDURE_STEP, "ModalityPerformedProcedureStep", "Modality Performed Procedure Step SOP Class"],
  [APPLICATION_CONTEXT_NAME, "DICOMApplicationContext", "DICOM Application Context Name"],
];

function build(rows: readonly Row[]): readonly SopClass[] {
  return Object.freeze(
    rows.map(([uid, keyword, name, retired]) => Object.freeze({ uid, keyword, name, retired: retired === true })),
  );
}

export const STORAGE_SOP_CLASSES: readonly SopClass[] = build(STORAGE_TABLE);
export const NON_STORAGE_SOP_CLASSES: readonly SopClass[] = build(NON_STORAGE_TABLE);

const BY_UID = new Map<string, SopClass>();
const BY_KEYWORD = new Map<string, SopClass>();
const STORAGE_UIDS = new Set<string>();
for (const entry of [...STORAGE_SOP_CLASSES, ...NON_STORAGE_SOP_CLASSES]) {
  BY_UID.set(entry.uid, entry);
  BY_KEYWORD.set(entry.keyword.toLowerCase(), entry);
}
for (const entry of STORAGE_SOP_CLASSES) STORAGE_UIDS.add(entry.uid);

// UI values arrive padded to even length with a trailing NUL (PS3.5 6.2); some senders pad with a space.
function normalize(uid: string): string {
  return uid.replace(/[\0 ]+$/, "");
}

/** True for any Storage SOP Class UID in STORAGE_SOP_CLASSES, retired ones included. */
export function isStorageSopClass(uid: string): boolean {
  return STORAGE_UIDS.has(normalize(uid));
}

/** The storage or non-storage entry for a UID, if known. */
export function sopClass(uid: string): SopClass | undefined {
  return BY_UID.get(normalize(uid));
}

/** Looks up a PS3.6 keyword, ignoring case. */
export function sopClassByKeyword(keyword: string): SopClass | undefined {
  return BY_KEYWORD.get(keyword.trim().toLowerCase());
}

/** Human-readable name for logs; falls back to the UID itself. */
export function sopClassName(uid: string): string {
  return sopClass(uid)?.name ?? uid;
}
