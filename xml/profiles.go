package xml

// Profiles for the Vietnamese layouts (Decision 1450/QĐ-TCT): each returns
// SignOptions ready for Sign or Prepare; adjust fields as needed. Paths start
// with "//" so that a document wrapped in TDiep/DLieu is signed in place and
// the TDiep wrapper stays unsigned.

// Seller signs an invoice as the seller: the Signature (Id "NBan") goes to
// HDon/DSCKS/NBan and covers HDon/DLHDon (with the enveloped transform, as
// sellers' software writes it) and its own SigningTime object.
func Seller() *SignOptions {
	return &SignOptions{
		Location:           "//HDon/DSCKS/NBan",
		References:         []Ref{{Path: "//HDon/DLHDon"}},
		Enveloped:          true,
		SignatureID:        "NBan",
		SigningTimeObject:  true,
		IncludeSubjectName: true,
		AddMissingIDs:      true,
	}
}

// Buyer signs an invoice as the buyer: HDon/DSCKS/NMua, covering DLHDon and
// its SigningTime object.
func Buyer() *SignOptions {
	return &SignOptions{
		Location:           "//HDon/DSCKS/NMua",
		References:         []Ref{{Path: "//HDon/DLHDon"}},
		Enveloped:          true,
		SignatureID:        "NMua-" + randomID(),
		SigningTimeObject:  true,
		IncludeSubjectName: true,
	}
}

// TaxAuthority signs a coded invoice as the tax authority (CQT):
// HDon/DSCKS/CQT, covering DLHDon, MCCQT and its SigningTime object. It does
// not cover the seller's signature, which stays valid. Set
// TaxAuthorityCode to insert MCCQT when the invoice has none yet.
func TaxAuthority(code string) *SignOptions {
	return &SignOptions{
		Location:           "//HDon/DSCKS/CQT",
		References:         []Ref{{Path: "//HDon/DLHDon"}, {Path: "//HDon/MCCQT"}},
		SignatureID:        "Tct-" + randomID(),
		SigningTimeObject:  true,
		IncludeSubjectName: true,
		TaxAuthorityCode:   code,
	}
}

// Registrant signs a registration form (TKhai, e.g. 01/ĐKTĐ-HĐĐT) as the
// taxpayer: TKhai/DSCKS/NNT, covering TKhai/DLTKhai and its SigningTime.
func Registrant() *SignOptions {
	return &SignOptions{
		Location:           "//TKhai/DSCKS/NNT",
		References:         []Ref{{Path: "//TKhai/DLTKhai"}},
		Enveloped:          true,
		SignatureID:        "NNT-" + randomID(),
		SigningTimeObject:  true,
		IncludeSubjectName: true,
		AddMissingIDs:      true,
	}
}

// TaxNoticeOfficer signs a tax notice (TBao) as the officer:
// TBao/DSCKS/TTCQT, covering DLTBao and its SigningTime.
func TaxNoticeOfficer() *SignOptions {
	return &SignOptions{
		Location:           "//TBao/DSCKS/TTCQT",
		References:         []Ref{{Path: "//TBao/DLTBao"}},
		SignatureID:        "TTCQT-" + randomID(),
		SigningTimeObject:  true,
		IncludeSubjectName: true,
		AddMissingIDs:      true,
	}
}

// TaxNoticeAgency signs a tax notice (TBao) as the tax office:
// TBao/DSCKS/CQT, covering DLTBao, STBao (when present) and its SigningTime.
func TaxNoticeAgency() *SignOptions {
	return &SignOptions{
		Location:           "//TBao/DSCKS/CQT",
		References:         []Ref{{Path: "//TBao/DLTBao"}, {Path: "//TBao/STBao", Optional: true}},
		SignatureID:        "CQT-" + randomID(),
		SigningTimeObject:  true,
		IncludeSubjectName: true,
		AddMissingIDs:      true,
	}
}
