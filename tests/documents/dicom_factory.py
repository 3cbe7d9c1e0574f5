"""Real DICOM files and ZIP archives for tests, written with pydicom and zipfile.

Values are set with pydicom's validation off so a test can write exactly the malformed
header it needs (a "2024-01-10" date, an over-long name) without a warning.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from pydicom import config, uid
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset

from intake.documents.inspection import PatientIdentity

MiB = 1024**2
# The intake record the default header values belong to.
PATIENT = PatientIdentity(first_name="Ada", last_name="Lovelace", date_of_birth=date(1970, 5, 17))
PE_PREAMBLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"This program cannot be run"
PE_PREAMBLE = PE_PREAMBLE.ljust(128, b"\x00")

_SOP_CLASSES = {
    "MR": uid.MRImageStorage,
    "CT": uid.CTImageStorage,
    "DX": uid.DigitalXRayImageStorageForPresentation,
    "CR": uid.ComputedRadiographyImageStorage,
    "RF": uid.XRayRadiofluoroscopicImageStorage,
    "XA": uid.XRayAngiographicImageStorage,
    "NM": uid.NuclearMedicineImageStorage,
    "PT": uid.PositronEmissionTomographyImageStorage,
    "SR": uid.BasicTextSRStorage,
    "KO": uid.KeyObjectSelectionDocumentStorage,
    "PR": uid.GrayscaleSoftcopyPresentationStateStorage,
    "DOC": uid.EncapsulatedPDFStorage,
}
_WITHOUT_PIXELS = frozenset({"SR", "KO", "PR", "DOC"})


def make_dicom(
    target: Path | BinaryIO | None = None,
    *,
    modality: str | None = "MR",
    body_part: str | None = "LSPINE",
    study_date: str | None = "20240110",
    series_date: str | None = None,
    acquisition_date: str | None = None,
    study_uid: str | None = None,
    series_uid: str | None = None,
    patient_name: str | None = "Lovelace^Ada",
    birth_date: str | None = "19700517",
    study_description: str | None = "MRI LUMBAR SPINE",
    series_description: str | None = "SAG T2 TSE",
    preamble: bytes = bytes(128),
    character_set: str = "ISO_IR 100",
    implicit_vr: bool = False,
    deflated: bool = False,
    sequence: str | None = None,
    size: int = 16,
    blank: bool = False,
) -> bytes:
    """A DICOM Part 10 file (None drops a tag, but generates the UIDs); also written to `target`.

    `sequence` adds that sequence with undefined length, as many scanners write them.
    """
    assert len(preamble) == 128
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = _SOP_CLASSES.get(
        modality or "", uid.SecondaryCaptureImageStorage
    )
    meta.MediaStorageSOPInstanceUID = uid.generate_uid()
    meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    if implicit_vr:
        meta.TransferSyntaxUID = uid.ImplicitVRLittleEndian
    if deflated:
        meta.TransferSyntaxUID = uid.DeflatedExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    values = {
        "SpecificCharacterSet": character_set,
        "SOPClassUID": meta.MediaStorageSOPClassUID,
        "SOPInstanceUID": meta.MediaStorageSOPInstanceUID,
        "StudyDate": study_date,
        "SeriesDate": series_date,
        "AcquisitionDate": acquisition_date,
        "Modality": modality,
        "Manufacturer": "ACME Imaging",
        "StudyDescription": study_description,
        "SeriesDescription": series_description,
        "PatientName": patient_name,
        "PatientID": "MRN-0042",
        "PatientBirthDate": birth_date,
        "BodyPartExamined": body_part,
        "StudyInstanceUID": uid.generate_uid() if study_uid is None else study_uid,
        "SeriesInstanceUID": uid.generate_uid() if series_uid is None else series_uid,
        "SeriesNumber": "1",
        "InstanceNumber": "1",
    }
    for keyword, value in values.items():
        if value is not None:
            put(dataset, keyword, value)
    if sequence is not None:  # e.g. "ContentSequence", which ends an SR's data set
        item = Dataset()
        item.CodeMeaning = "Findings"
        item.is_undefined_length_sequence_item = True
        setattr(dataset, sequence, [item, item])
        dataset[sequence].is_undefined_length = True
    if (modality or "") not in _WITHOUT_PIXELS:
        _add_pixels(dataset, size, blank=blank)
    return _write(dataset, preamble, target)


def make_dicomdir() -> bytes:
    """A DICOMDIR: a Part 10 file of the Media Storage Directory class, with no records."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = uid.MediaStorageDirectoryStorage
    meta.MediaStorageSOPInstanceUID = uid.generate_uid()
    meta.TransferSyntaxUID = uid.ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.FileSetID = "CD EXPORT"
    dataset.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = 0
    dataset.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = 0
    dataset.FileSetConsistencyFlag = 0
    dataset.DirectoryRecordSequence = []
    return _write(dataset, bytes(128), None)


def put(dataset: Dataset, keyword: str, value: object) -> None:
    """Set a standard element without pydicom's value validation."""
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    dataset.add(DataElement(tag, dictionary_VR(tag), value, validation_mode=config.IGNORE))


def strip_file_header(data: bytes) -> bytes:
    """The same data set without preamble, DICM and file meta (what force=True would read)."""
    (group_length,) = struct.unpack("<L", data[140:144])
    return data[144 + group_length :]


def element_offsets(data: bytes, keyword: str) -> tuple[int, int]:
    """(start of the element's tag, start of its value) in an explicit VR LE file."""
    tag = tag_for_keyword(keyword)
    assert tag is not None
    start = data.index(struct.pack("<HH", tag >> 16, tag & 0xFFFF), 144)
    long_vr = data[start + 4 : start + 6] in (b"OB", b"OW", b"UN", b"SQ", b"UT")
    return start, start + (12 if long_vr else 8)


def truncate_inside(data: bytes, keyword: str = "StudyInstanceUID") -> bytes:
    """`data` cut a few bytes into the value of `keyword`, as an interrupted upload would be."""
    _, value_start = element_offsets(data, keyword)
    return data[: value_start + 3]


@dataclass(frozen=True)
class SeriesSpec:
    study_uid: str
    series_uid: str
    instances: int
    modality: str = "MR"
    body_part: str | None = "LSPINE"
    study_description: str | None = "MRI LUMBAR SPINE"
    series_description: str | None = None
    study_date: str | None = "20240110"


STUDY_MR = "1.2.826.0.1.3680043.10.1001.1"
STUDY_CT = "1.2.826.0.1.3680043.10.1001.2"
DEFAULT_SERIES = (
    SeriesSpec(STUDY_MR, f"{STUDY_MR}.1", 3, series_description="SAG T2 TSE"),
    SeriesSpec(STUDY_MR, f"{STUDY_MR}.2", 2, series_description="AX T2 L4-S1"),
    SeriesSpec(
        STUDY_CT,
        f"{STUDY_CT}.1",
        2,
        modality="CT",
        body_part=None,  # only the description says where
        study_description="CT LUMBAR SPINE",
        series_description="BONE 1.0",
        study_date="20231102",
    ),
)
README = b"Patient CD export. Insert the disc and run the viewer.\r\n"


def make_study_zip(
    series: Sequence[SeriesSpec] = DEFAULT_SERIES,
    *,
    patient_name: str = "Lovelace^Ada",
    birth_date: str = "19700517",
    extra_members: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A CD export as a ZIP: DICOMDIR, README.TXT and one file per instance."""
    members = {"DICOMDIR": make_dicomdir(), "README.TXT": README}
    for series_index, spec in enumerate(series, start=1):
        for instance in range(1, spec.instances + 1):
            members[f"DICOM/S{series_index:03}/I{instance:04}"] = make_dicom(
                modality=spec.modality,
                body_part=spec.body_part,
                study_date=spec.study_date,
                study_uid=spec.study_uid,
                series_uid=spec.series_uid,
                patient_name=patient_name,
                birth_date=birth_date,
                study_description=spec.study_description,
                series_description=spec.series_description,
            )
    members.update(extra_members or {})
    return make_zip(members.items(), compression=compression)


def make_zip(
    members: Iterable[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """A ZIP archive of (name, content) pairs, built in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_zip_entry(
    data: bytes,
    index: int,
    *,
    file_size: int | None = None,
    crc: int | None = None,
    flag_bits: int | None = None,
    compress_type: int | None = None,
) -> bytes:
    """Rewrite fields of entry `index` in both its local header and the central directory."""
    patched = bytearray(data)
    central = _central_entries(data)[index]
    (local,) = struct.unpack("<L", data[central + 42 : central + 46])
    # (local header offset, central entry offset) of each field, and its struct format.
    fields = {
        "flag_bits": (6, 8, "<H", flag_bits),
        "compress_type": (8, 10, "<H", compress_type),
        "crc": (14, 16, "<L", crc),
        "file_size": (22, 24, "<L", file_size),
    }
    for local_at, central_at, layout, value in fields.values():
        if value is not None:
            struct.pack_into(layout, patched, local + local_at, value)
            struct.pack_into(layout, patched, central + central_at, value)
    return bytes(patched)


def duplicate_central_entry(data: bytes, copies: int) -> bytes:
    """Point `copies` extra central-directory entries at the first member (overlap bomb)."""
    end = data.rindex(b"PK\x05\x06")
    entries, directory_size, directory_at = struct.unpack("<HLL", data[end + 10 : end + 20])
    first = data[directory_at : _central_entries(data)[1] if entries > 1 else end]
    directory = data[directory_at : directory_at + directory_size] + first * copies
    footer = bytearray(data[end:])
    struct.pack_into("<HHL", footer, 8, entries + copies, entries + copies, len(directory))
    return data[:directory_at] + directory + bytes(footer)


def set_declared_entries(data: bytes, entries: int) -> bytes:
    """The archive with its end record claiming `entries` members, whatever it holds."""
    end = data.rindex(b"PK\x05\x06")
    patched = bytearray(data)
    struct.pack_into("<HH", patched, end + 8, entries, entries)
    return bytes(patched)


def zeros_zip(member_size: int, members: int = 1) -> bytes:
    """A classic zip bomb: members of nothing but zeros, which compress about 1000:1."""
    zeros = bytes(member_size)
    return make_zip((f"part{index:05}.bin", zeros) for index in range(members))


def crc_of(data: bytes) -> int:
    """The CRC-32 zipfile expects for `data`."""
    return zlib.crc32(data) & 0xFFFFFFFF


def write_upload(directory: Path, data: bytes, name: str = "upload.bin") -> Path:
    """Put `data` where an upload's temporary file would be; returns its path."""
    path = directory / name
    path.write_bytes(data)
    return path


def _central_entries(data: bytes) -> list[int]:
    end = data.rindex(b"PK\x05\x06")
    entries, _, directory_at = struct.unpack("<HLL", data[end + 10 : end + 20])
    offsets = []
    at = directory_at
    for _ in range(entries):
        offsets.append(at)
        name_length, extra_length, comment_length = struct.unpack("<HHH", data[at + 28 : at + 34])
        at += 46 + name_length + extra_length + comment_length
    return offsets


def _add_pixels(dataset: Dataset, size: int, *, blank: bool) -> None:
    dataset.Rows = dataset.Columns = size
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 0
    pixels = range(size * size)
    dataset.PixelData = (
        bytes(2 * size * size)
        if blank
        else struct.pack(f"<{size * size}H", *(value % 4096 for value in pixels))
    )


def _write(dataset: Dataset, preamble: bytes, target: Path | BinaryIO | None) -> bytes:
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    data = preamble + buffer.getvalue()[128:]
    if isinstance(target, Path):
        target.write_bytes(data)
    elif target is not None:
        target.write(data)
    return data
