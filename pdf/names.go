package pdf

// Names that appear in nearly every document are shared instead of being
// allocated for each occurrence (a signature's verification reads a few
// hundred of them).

var commonNames = func() map[string]name {
	m := map[string]name{}
	for _, s := range []string{
		"Type", "Subtype", "Filter", "SubFilter", "Length", "Root", "Size", "Prev", "Info", "ID",
		"Pages", "Page", "Kids", "Count", "Parent", "MediaBox", "CropBox", "Rotate", "Contents",
		"Resources", "Font", "Annots", "AcroForm", "Fields", "FT", "T", "V", "Rect", "P", "F",
		"AP", "N", "R", "D", "Sig", "Widget", "Annot", "ByteRange", "M", "Catalog", "XObject",
		"Form", "BBox", "FlateDecode", "DecodeParms", "Columns", "Predictor", "W", "Index", "XRef",
		"ObjStm", "First", "Reference", "TransformMethod", "TransformParams", "DocMDP", "FieldMDP",
		"Perms", "DSS", "Certs", "CRLs", "OCSPs", "VRI", "ProcSet", "PDF", "Text", "ImageB",
		"ImageC", "Encoding", "BaseFont", "Type1", "Type0", "TrueType", "Matrix", "Name", "Reason",
		"Location", "ContactInfo", "Prop_Build", "Adobe.PPKLite", "ETSI.CAdES.detached",
		"adbe.pkcs7.detached", "ETSI.RFC3161", "DocTimeStamp", "SigFlags", "DR", "DA", "Lock",
		"Action", "All", "Include", "Exclude", "Metadata", "XML", "Encrypt", "ExtGState", "Group",
		"S", "Transparency", "Producer", "CreationDate", "ModDate", "Creator", "Title", "Author",
		"FontDescriptor", "FontName", "Flags", "FontBBox", "ItalicAngle", "Ascent", "Descent",
		"CapHeight", "StemV", "FontFile2", "Widths", "FirstChar", "LastChar", "ToUnicode",
		"DescendantFonts", "CIDFontType2", "CIDSystemInfo", "Identity-H", "WinAnsiEncoding",
		"Helvetica", "Times-Roman", "MK", "AS", "Off", "Yes", "Tx", "Btn", "Ch", "Names",
		"Outlines", "Dests", "OpenAction", "PageLayout", "PageMode", "Lang", "MarkInfo",
		"StructTreeRoot", "ViewerPreferences", "Version", "Extensions", "Data", "Ff",
	} {
		m[s] = name(s)
	}
	return m
}()

// commonNameObjects holds the same names already boxed as objects.
var commonNameObjects = func() map[string]object {
	m := make(map[string]object, len(commonNames))
	for s, n := range commonNames {
		m[s] = n
	}
	return m
}()

// internName returns b as a name, shared when it is a common one.
func internName(b []byte) name {
	if n, ok := commonNames[string(b)]; ok {
		return n
	}
	return name(b)
}

// nameObject returns b as a name object, shared when it is a common one.
func nameObject(b []byte) object {
	if o, ok := commonNameObjects[string(b)]; ok {
		return o
	}
	return name(b)
}
