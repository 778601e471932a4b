#!/usr/bin/env python3
"""Writes the Clean Pixel Data test fixture: a synthetic ultrasound image
(a speckled sector on black, 320 x 240, 8-bit MONOCHROME2, Explicit VR
Little Endian, Burned In Annotation YES) with made-up identifying text
burned in, and the boxes of that text.

    python3 make_fixture.py OUT.dcm OUT.json

Needs pydicom, numpy, Pillow and the DejaVu fonts (Debian fonts-dejavu-core).
The image is generated from a fixed seed, so the output is reproducible;
no real patient or device data is involved.
"""
import json
import sys

import numpy as np
import pydicom
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

W, H = 320, 240
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
TEXT = [("JANE DOE", (8, 6), 18), ("ID 48213377", (8, 30), 16), ("15/03/1961", (214, 6), 16)]


def main(out_dcm, out_json):
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:H, 0:W]
    # A sector (fan) below the banner, speckled.
    ang = np.degrees(np.arctan2(x - W / 2, y + 40))
    r = np.hypot(x - W / 2, y + 40)
    fan = (np.abs(ang) < 35) & (r > 100) & (r < 270)
    img = np.zeros((H, W), np.float64)
    img[fan] = 60 + 50 * rng.rayleigh(1.0, fan.sum())
    img = np.clip(img, 0, 200).astype(np.uint8)
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    boxes = []
    for text, (tx, ty), size in TEXT:
        font = ImageFont.truetype(FONT, size)
        draw.text((tx, ty), text, fill=255, font=font)
        l, t, r_, b = draw.textbbox((tx, ty), text, font=font)
        boxes.append({"text": text, "box": [l, t, r_, b]})
    px = np.asarray(pil, dtype=np.uint8)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.6.1"
    meta.MediaStorageSOPInstanceUID = "2.25.170013519836287398815183402926118862633"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "2.25.255163917744587123904066312871904771234"
    ds.SeriesInstanceUID = "2.25.322405958432116263432049201227395476131"
    ds.PatientName = "DOE^JANE"
    ds.PatientID = "48213377"
    ds.PatientBirthDate = "19610315"
    ds.StudyDate = "20240115"
    ds.Modality = "US"
    ds.Manufacturer = "Synthetic"
    ds.BurnedInAnnotation = "YES"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = H, W
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = px.tobytes()
    ds.save_as(out_dcm, enforce_file_format=True)
    with open(out_json, "w") as f:
        json.dump({"columns": W, "rows": H, "text": boxes}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
