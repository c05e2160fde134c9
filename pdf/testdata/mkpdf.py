#!/usr/bin/env python3
"""Writes hand-made corpus files that qpdf and mutool cannot produce:
a form with an empty signature field (plus a text field with /DA and /DR),
and a hybrid-reference file (classic table + /XRefStm with an object
stream), as Word and some Vietnamese e-office producers write them."""
import sys, zlib

def write(path, objs, hybrid_compressed=None):
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = {}
    for num, body in objs:
        offs[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    size = max(offs) + 1
    if hybrid_compressed:
        # object stream holding the compressed objects
        stm_num = size
        hdr = b""
        data = b""
        for num, body in hybrid_compressed:
            hdr += b"%d %d " % (num, len(data))
            data += body + b"\n"
        raw = hdr + data
        first = len(hdr)
        z = zlib.compress(raw)
        offs[stm_num] = len(out)
        out += b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>stream\n" % (stm_num, len(hybrid_compressed), first, len(z)) + z + b"\nendstream\nendobj\n"
        xs_num = stm_num + 1
        size = xs_num + 1
        rows = b""
        index = []
        for i, (num, _) in enumerate(hybrid_compressed):
            rows += bytes([2]) + stm_num.to_bytes(4, "big") + i.to_bytes(2, "big")
            index += [num, 1]
        xs_off = len(out)
        idx = b" ".join(b"%d" % v for v in index)
        out += b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%s]/Length %d>>stream\n" % (xs_num, size, idx, len(rows)) + rows + b"\nendstream\nendobj\n"
        offs[xs_num] = xs_off
    xref_off = len(out)
    out += b"xref\n0 %d\n" % size
    out += b"0000000000 65535 f\r\n"
    for n in range(1, size):
        if n in offs:
            out += b"%010d 00000 n\r\n" % offs[n]
        else:
            out += b"0000000000 65535 f\r\n"
    trailer = b"<</Size %d/Root 1 0 R/ID[<0123456789ABCDEF0123456789ABCDEF><0123456789ABCDEF0123456789ABCDEF>]" % size
    if hybrid_compressed:
        trailer += b"/XRefStm %d" % xs_off
    out += b"trailer\n" + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref_off
    open(path, "wb").write(out)

content = b"BT /F1 18 Tf 72 760 Td (kyso corpus: form with an empty signature field) Tj ET"
write(sys.argv[1] + "/form-empty-field.pdf", [
    (1, b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[5 0 R 6 0 R]/DA(/Helv 0 Tf 0 g)/DR<</Font<</Helv 7 0 R>>>>>>>>"),
    (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>"),
    (3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 7 0 R>>>>/Annots[5 0 R 6 0 R]>>"),
    (4, b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream"),
    (5, b"<</Type/Annot/Subtype/Widget/FT/Sig/T(LanhDao)/Rect[300 80 560 180]/F 4/P 3 0 R>>"),
    (6, b"<</Type/Annot/Subtype/Widget/FT/Tx/T(SoVanBan)/V(123/QD-UBND)/DA(/Helv 10 Tf 0 g)/Rect[72 700 300 720]/F 4/P 3 0 R>>"),
    (7, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"),
])

content = b"BT /F1 18 Tf 72 760 Td (kyso corpus: hierarchical form fields) Tj ET"
write(sys.argv[1] + "/form-hierarchy.pdf", [
    (1, b"<</Type/Catalog/Pages 2 0 R/AcroForm 10 0 R>>"),
    (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>"),
    (3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 7 0 R>>>>/Annots[8 0 R 9 0 R]>>"),
    (4, b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream"),
    (5, b"<</FT/Sig/T(VanThu)/Kids[8 0 R]>>"),
    (6, b"<</T(CoQuan)/Kids[9 0 R]>>"),
    (7, b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"),
    (8, b"<</Type/Annot/Subtype/Widget/Parent 5 0 R/Rect[320 80 560 160]/F 4/P 3 0 R>>"),
    (9, b"<</Type/Annot/Subtype/Widget/FT/Sig/Parent 6 0 R/T(PhoGiamDoc)/Rect[40 80 280 160]/F 4>>"),
    (10, b"<</Fields[5 0 R 6 0 R]/SigFlags 1>>"),
])

content = b"BT /F1 18 Tf 72 760 Td (kyso corpus: hybrid-reference file) Tj ET"
write(sys.argv[1] + "/hybrid.pdf", [
    (4, b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream"),
    (5, b"<</Type/Font/Subtype/Type1/BaseFont/Times-Roman>>"),
], hybrid_compressed=[
    (1, b"<</Type/Catalog/Pages 2 0 R>>"),
    (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>"),
    (3, b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>"),
])
