package pdf

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"
)

// plan is the incremental update for one signature, ready to be hashed.
type plan struct {
	base        int64 // size of the original input
	upd         *serialized
	hash        crypto.Hash
	signingTime time.Time
	reserve     int
}

// build reads the document and lays out the signature update: field,
// widget, appearance, signature dictionary with placeholders, catalog and
// form changes, and the cross-reference section.
func build(r io.ReaderAt, size int64, cert *x509.Certificate, chain []*x509.Certificate, opts *Options, reserve int) (*plan, error) {
	d, err := open(r, size, []byte(opts.Password))
	if err != nil {
		return nil, err
	}
	st, err := d.signatureState()
	if err != nil {
		return nil, err
	}
	if st.docMDP == 1 && !opts.docTimestamp {
		return nil, fmt.Errorf("%w: the document is certified with DocMDP P=1 (no changes allowed)", ErrNotPermitted)
	}
	if opts.Certify != 0 {
		if opts.Certify < 1 || opts.Certify > 3 {
			return nil, fmt.Errorf("%w: Certify must be 1, 2 or 3, not %d", ErrBadOptions, opts.Certify)
		}
		if st.signed > 0 || st.docMDP != 0 {
			return nil, fmt.Errorf("%w: certification must be the first signature (the document has %d)", ErrNotPermitted, st.signed)
		}
	}
	signingTime := opts.SigningTime
	if signingTime.IsZero() {
		signingTime = time.Now()
	}
	signingTime = signingTime.Truncate(time.Second)
	if signingTime.Location() == time.UTC || signingTime.Location() == time.Local {
		signingTime = signingTime.In(vietnamTime())
	}

	u := newUpdate(d)
	rootRef, cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	cat = cat.clone()
	catChanged := false

	// The AcroForm dictionary: update it where it lives.
	var af dict
	var afRef ref
	afIndirect := false
	switch v := cat["AcroForm"].(type) {
	case ref:
		if af = d.dictOf(v); af != nil {
			afRef, afIndirect = v, true
			af = af.clone()
		}
	case dict:
		af = v.clone()
	}
	if af == nil {
		af = dict{}
		afRef = u.alloc()
		afIndirect = true
		cat["AcroForm"] = afRef
		catChanged = true
	}

	// Find an empty signature field with the requested name, or make one.
	var target *field
	if opts.Field != "" {
		fs, err := d.fields()
		if err != nil {
			return nil, err
		}
		for i := range fs {
			if fs[i].fullName == opts.Field {
				target = &fs[i]
				break
			}
		}
		if target != nil {
			if target.ft != "Sig" {
				return nil, fmt.Errorf("%w: field %q is a %s field, not a signature field", ErrFieldNotFound, opts.Field, target.ft)
			}
			if v := d.resolve(target.dict["V"]); v != nil {
				return nil, fmt.Errorf("%w: %q", ErrFieldSigned, opts.Field)
			}
		} else if err := validFieldName(opts.Field); err != nil {
			return nil, err
		} else if st.names[opts.Field] {
			return nil, fmt.Errorf("%w: %q is a parent of other fields, not a signature field", ErrFieldNotFound, opts.Field)
		}
	}

	sigRef := u.alloc()
	sigDict := dict{
		"Type":      name("Sig"),
		"Filter":    name("Adobe.PPKLite"),
		"SubFilter": name("ETSI.CAdES.detached"),
		"ByteRange": byteRangeHole{},
		"Contents":  contentsHole{size: reserve},
		"M":         pdfDate(signingTime),
	}
	if opts.Legacy {
		sigDict["SubFilter"] = name("adbe.pkcs7.detached")
	}
	if opts.docTimestamp {
		// ISO 32000-2 §12.8.5: no /M, /Name or signer details; the time
		// is the token's.
		sigDict = dict{
			"Type":      name("DocTimeStamp"),
			"Filter":    name("Adobe.PPKLite"),
			"SubFilter": name("ETSI.RFC3161"),
			"ByteRange": byteRangeHole{},
			"Contents":  contentsHole{size: reserve},
		}
	}
	signerName := opts.Name
	if signerName == "" && cert != nil {
		signerName = cert.Subject.CommonName
	}
	if opts.docTimestamp {
		signerName = ""
	}
	for k, v := range map[name]string{"Name": signerName, "Reason": opts.Reason, "Location": opts.Location, "ContactInfo": opts.ContactInfo} {
		if v != "" {
			sigDict[k] = encodeTextString(v)
		}
	}
	var refs array
	if opts.Certify != 0 {
		refs = append(refs, dict{
			"Type":            name("SigRef"),
			"TransformMethod": name("DocMDP"),
			"TransformParams": dict{"Type": name("TransformParams"), "P": int64(opts.Certify), "V": name("1.2")},
		})
		perms := d.dictOf(cat["Perms"])
		if perms == nil {
			perms = dict{}
		} else {
			perms = perms.clone()
		}
		perms["DocMDP"] = sigRef
		cat["Perms"] = perms
		catChanged = true
	}
	lock := opts.Lock
	var lockDict dict
	if lock == nil && target != nil {
		if ld := d.dictOf(target.dict["Lock"]); ld != nil {
			lockDict = ld
		}
	}
	if lock != nil {
		lockDict = dict{"Type": name("SigFieldLock")}
		switch lock.Action {
		case LockAll:
			lockDict["Action"] = name("All")
		case LockInclude, LockExclude:
			lockDict["Action"] = name("Include")
			if lock.Action == LockExclude {
				lockDict["Action"] = name("Exclude")
			}
			var fl array
			for _, f := range lock.Fields {
				fl = append(fl, encodeTextString(f))
			}
			lockDict["Fields"] = fl
		default:
			return nil, fmt.Errorf("%w: unknown lock action %d", ErrBadOptions, lock.Action)
		}
	}
	if lockDict != nil {
		tp := dict{"Type": name("TransformParams"), "Action": lockDict["Action"], "V": name("1.2")}
		if f, ok := lockDict["Fields"]; ok {
			tp["Fields"] = f
		}
		refs = append(refs, dict{
			"Type":            name("SigRef"),
			"TransformMethod": name("FieldMDP"),
			"TransformParams": tp,
			"Data":            rootRef,
		})
	}
	if len(refs) > 0 {
		sigDict["Reference"] = refs
	}
	u.set(sigRef, sigDict)

	// The widget and its page.
	var widgetRef ref
	var widget dict
	var pg pageInfo
	newField := target == nil
	if target != nil {
		fd := target.dict.clone()
		fd["V"] = sigRef
		if opts.Lock != nil {
			fd["Lock"] = lockDict
		}
		if fd.name("Subtype") == "Widget" {
			widgetRef, widget = target.ref, fd
		} else {
			u.set(target.ref, fd)
			kids, _ := d.resolve(fd["Kids"]).(array)
			for _, k := range kids {
				if kr, ok := k.(ref); ok {
					if kd := d.dictOf(kr); kd != nil {
						widgetRef, widget = kr, kd.clone()
						break
					}
				}
			}
		}
		if widget != nil && widgetRef != target.ref {
			// The value belongs to the field (the widget's parent), but
			// poppler and MuPDF read it from the widget, as MuPDF writes it:
			// put it on both.
			widget["V"] = sigRef
		}
		if widget != nil {
			if p, ok := widget["P"].(ref); ok {
				if pd := d.dictOf(p); pd != nil {
					if _, found, ok := d.pageOf(widgetRef); ok {
						pg = found
					} else {
						pg, err = d.pageByRef(p)
						if err != nil {
							return nil, err
						}
					}
				}
			}
			if pg.dict == nil {
				if _, found, ok := d.pageOf(widgetRef); ok {
					pg = found
				}
			}
		}
		if opts.Appearance != nil && (widget == nil || pg.dict == nil) {
			return nil, fmt.Errorf("%w: field %q has no widget on a page to draw on", ErrBadOptions, opts.Field)
		}
	} else {
		pageNum := opts.Page
		if pageNum == 0 {
			pageNum = 1
		}
		if pg, err = d.page(pageNum); err != nil {
			return nil, err
		}
		fieldName := opts.Field
		if fieldName == "" {
			prefix := "Signature"
			if opts.docTimestamp {
				prefix = "DocTimestamp"
			}
			fieldName = uniqueFieldName(st.names, prefix)
		}
		widgetRef = u.alloc()
		widget = dict{
			"Type":    name("Annot"),
			"Subtype": name("Widget"),
			"FT":      name("Sig"),
			"T":       encodeTextString(fieldName),
			"V":       sigRef,
			"F":       int64(132), // Print | Locked
			"P":       pg.ref,
			"Rect":    array{int64(0), int64(0), int64(0), int64(0)},
		}
		if lockDict != nil {
			widget["Lock"] = lockDict
		}
	}

	if widget != nil {
		rect := [4]float64{}
		if opts.Appearance != nil {
			if newField {
				var err error
				if rect, err = opts.Appearance.Rect.toUserSpace(pg); err != nil {
					return nil, err
				}
				widget["Rect"] = array{rect[0], rect[1], rect[2], rect[3]}
			} else {
				var ok bool
				if rect, ok = d.rectOf(widget["Rect"]); !ok {
					return nil, fmt.Errorf("%w: field %q has no /Rect", ErrMalformed, opts.Field)
				}
			}
			ap, err := buildAppearance(u, opts.Appearance, rect, pg.rotate, cert, signingTime)
			if err != nil {
				return nil, err
			}
			widget["AP"] = dict{"N": ap}
		} else if newField && !opts.docTimestamp {
			// (A document time-stamp's invisible widget gets no /AP, as
			// PDF 2.0 allows for a zero-size /Rect: an appearance would
			// make it more than an LTA update for validators that grade
			// changes, pyHanko's included, and refuse it after a P=1
			// certification.)
			empty := &stream{hdr: dict{
				"Type":      name("XObject"),
				"Subtype":   name("Form"),
				"BBox":      array{int64(0), int64(0), int64(0), int64(0)},
				"Resources": dict{},
			}, data: []byte{}}
			widget["AP"] = dict{"N": u.add(empty)}
		}
		if !newField && pg.dict != nil {
			widget["P"] = pg.ref
		}
		u.set(widgetRef, widget)
	}

	// More widgets of the same signature: the field becomes the parent
	// of all of them.
	fieldRef := widgetRef
	if len(opts.Widgets) > 0 {
		if !newField {
			return nil, fmt.Errorf("%w: Widgets need a new signature field", ErrBadOptions)
		}
		if fieldRef, err = addWidgets(u, d, widgetRef, widget, opts, cert, signingTime); err != nil {
			return nil, err
		}
	}

	// Link a new widget into its page and a new field into the form.
	if newField {
		if err := appendToArray(u, d, pg.ref, pg.dict, "Annots", widgetRef); err != nil {
			return nil, err
		}
		widgetRef := fieldRef // what /Fields lists
		fields := af["Fields"]
		if fr, ok := fields.(ref); ok {
			if arr, isArray := u.get(fr).(array); isArray {
				// (The page's /Annots may be this very array, already
				// updated above.)
				if !containsRef(arr, widgetRef) {
					u.set(fr, append(append(array{}, arr...), widgetRef))
				}
			} else {
				// A reference to a missing object or to something else
				// (even the AcroForm itself): never overwrite that
				// object; the form gets a direct array.
				af["Fields"] = array{widgetRef}
			}
		} else {
			arr, _ := fields.(array)
			af["Fields"] = append(append(array{}, arr...), widgetRef)
		}
	} else if pg.dict != nil && opts.Appearance != nil {
		// A field whose widget is not yet in its page's /Annots.
		if _, _, ok := d.pageOf(widgetRef); !ok {
			if err := appendToArray(u, d, pg.ref, pg.dict, "Annots", widgetRef); err != nil {
				return nil, err
			}
		}
	}
	if f, ok := d.intOf(af["SigFlags"]); !ok || f&3 != 3 {
		af["SigFlags"] = int64(f | 3)
	}
	// Only what changed is rewritten: an indirect /AcroForm whose /Fields
	// array is indirect too stays as it is, and so does the catalog.
	if afIndirect {
		u.setIfChanged(afRef, af)
	} else {
		cat["AcroForm"] = af
		catChanged = true
	}
	if catChanged {
		u.setIfChanged(rootRef, cat)
	}

	prefixNL := false
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, size-1); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("pdf: reading input: %w", err)
	}
	if last[0] != '\n' && last[0] != '\r' {
		prefixNL = true
	}
	s, err := u.serialize(size, prefixNL)
	if err != nil {
		return nil, err
	}
	if s.contentsAt < 0 {
		return nil, fmt.Errorf("pdf: internal error: no /Contents placeholder written")
	}
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	return &plan{base: size, upd: s, hash: h, signingTime: signingTime, reserve: reserve}, nil
}

// appendToArray appends v to the array under key in the object (r, o),
// updating the array where it lives (in the object, or as its own indirect
// object).
func appendToArray(u *update, d *document, r ref, o dict, key name, v object) error {
	if cur, ok := u.objs[r.Num].(dict); ok {
		o = cur
	}
	o = o.clone()
	switch a := o[key].(type) {
	case ref:
		arr, ok := u.get(a).(array)
		if !ok && d.resolve(a) != nil {
			return fmt.Errorf("%w: /%s of object %v is not an array", ErrMalformed, key, r)
		}
		u.set(a, append(append(array{}, arr...), v))
		return nil
	case array:
		o[key] = append(append(array{}, a...), v)
	default:
		o[key] = array{v}
	}
	u.set(r, o)
	return nil
}

func containsRef(a array, r ref) bool {
	for _, v := range a {
		if vr, ok := v.(ref); ok && vr.Num == r.Num {
			return true
		}
	}
	return false
}

func (d *document) pageByRef(p ref) (pageInfo, error) {
	var found pageInfo
	ok := false
	err := d.pages(func(i int, pi pageInfo) bool {
		if pi.ref.Num == p.Num {
			found, ok = pi, true
			return false
		}
		return true
	})
	if err != nil {
		return pageInfo{}, err
	}
	if !ok {
		return pageInfo{}, fmt.Errorf("%w: widget page %v is not in the page tree", ErrMalformed, p)
	}
	return found, nil
}

// maxWidgets bounds the widgets of one signature (initials on every page
// of a long document included).
const maxWidgets = 10000

// addWidgets splits the new field-and-widget (wref, w) into a field and
// its first widget, and adds a widget for each of opts.Widgets, linked
// into its page. It returns the field's reference.
func addWidgets(u *update, d *document, wref ref, w dict, opts *Options, cert *x509.Certificate, t time.Time) (ref, error) {
	if len(opts.Widgets) > maxWidgets {
		return ref{}, fmt.Errorf("%w: %d widgets (at most %d)", ErrBadOptions, len(opts.Widgets), maxWidgets)
	}
	fieldRef := u.alloc()
	field := dict{"FT": w["FT"], "T": w["T"], "V": w["V"]}
	if l, ok := w["Lock"]; ok {
		field["Lock"] = l
		delete(w, "Lock")
	}
	delete(w, "FT")
	delete(w, "T")
	// V stays on the widgets too: poppler and MuPDF read it from there
	// (pdfsig then lists the signature once per widget).
	w["Parent"] = fieldRef
	u.set(wref, w)
	kids := array{wref}
	// The page tree is walked once, not once per widget (initials on
	// every page of a long document).
	pages, err := d.allPages()
	if err != nil {
		return ref{}, err
	}
	for i, x := range opts.Widgets {
		if x.Appearance == nil {
			return ref{}, fmt.Errorf("%w: widget %d has no appearance", ErrBadOptions, i+1)
		}
		n := x.Page
		if n == 0 {
			n = 1
		}
		if n == -1 {
			n = len(pages)
		}
		if n < 1 || n > len(pages) {
			return ref{}, fmt.Errorf("widget %d: %w", i+1, errPageRange(x.Page, len(pages)))
		}
		pg := pages[n-1]
		rect, err := x.Appearance.Rect.toUserSpace(pg)
		if err != nil {
			return ref{}, fmt.Errorf("widget %d: %w", i+1, err)
		}
		ap, err := buildAppearance(u, x.Appearance, rect, pg.rotate, cert, t)
		if err != nil {
			return ref{}, fmt.Errorf("widget %d: %w", i+1, err)
		}
		kr := u.add(dict{
			"Type": name("Annot"), "Subtype": name("Widget"), "Parent": fieldRef, "V": w["V"],
			"F": int64(132), "P": pg.ref, "Rect": array{rect[0], rect[1], rect[2], rect[3]}, "AP": dict{"N": ap},
		})
		if err := appendToArray(u, d, pg.ref, pg.dict, "Annots", kr); err != nil {
			return ref{}, err
		}
		kids = append(kids, kr)
	}
	field["Kids"] = kids
	u.set(fieldRef, field)
	return fieldRef, nil
}
