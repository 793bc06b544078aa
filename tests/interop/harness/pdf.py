"""Builds a small, valid one-page A4 PDF by hand (for precompiled letters)."""

from __future__ import annotations

A4_WIDTH, A4_HEIGHT = 595.28, 841.89


def _pdf_string(text: str) -> bytes:
    data = text.encode("latin-1")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def minimal_pdf(address: list[str], body: list[str]) -> bytes:
    """One A4 page in Helvetica: the address block where a windowed envelope shows it
    (about 25 mm from the left, 40 mm from the top), then the body lines below it."""
    ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"71 729 Td"]
    for line in address:
        ops += [_pdf_string(line) + b" Tj", b"T*"]
    ops += [b"0 -70 Td"]
    for line in body:
        ops += [_pdf_string(line) + b" Tj", b"T*"]
    ops.append(b"ET")
    content = b"\n".join(ops) + b"\n"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4_WIDTH} {A4_HEIGHT}] "
            "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"endstream",
    ]

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body_bytes + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)
