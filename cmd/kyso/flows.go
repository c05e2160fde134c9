package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
)

// flowFlags select an e-office flow for "kyso sign pdf" (Decree 30/2020):
// each is one ordinary signature whose appearance the flow lays out.
type flowFlags struct {
	flow                     string
	anchor                   string
	anchorPage               int
	number, date             string
	numberAnchor, dateAnchor string
	seal, sigImage           string
	sealMM                   float64
	over                     string
	agency, transfer, place  string
	form, pages              string
}

func (f *flowFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.flow, "flow", "", "e-office flow: approve, issue, incoming, copy, appendix or initials (Decree 30/2020: approve under --anchor, issue with --number/--seal/--over, incoming stamp, certified copy, appendix, initials on every page)")
	fs.StringVar(&f.anchor, "anchor", "", "approve: the signer's printed title or name to sign under (--visible then gives only the box's size); incoming/copy/appendix: `TEXT` to place the block under")
	fs.IntVar(&f.anchorPage, "anchor-page", 0, "search --anchor on this page only (-1 = last)")
	fs.StringVar(&f.number, "number", "", "issue: the document number written after \"Số:\"; incoming: the incoming number; copy: the copy's number; appendix: the main document's number and symbol")
	fs.StringVar(&f.date, "date", "", "issue: the date `TEXT` written after \"ngày\" (default: dd tháng mm năm yyyy of the signing time)")
	fs.StringVar(&f.numberAnchor, "number-anchor", "Số:", "issue: the `TEXT` the number follows")
	fs.StringVar(&f.dateAnchor, "date-anchor", "ngày", "issue: the `TEXT` the date follows")
	fs.StringVar(&f.seal, "seal", "", "issue, copy: the agency's seal as a PNG `FILE` (transparent background)")
	fs.Float64Var(&f.sealMM, "seal-mm", 36, "issue: the seal's real diameter in `MM`")
	fs.StringVar(&f.over, "over", "", "issue: the leader's signature `FIELD`; the seal covers the left third of it")
	fs.StringVar(&f.sigImage, "signature-image", "", "approve: the handwritten signature as a PNG or JPEG `FILE`")
	fs.StringVar(&f.agency, "agency", "", "incoming, copy, appendix: the agency's name")
	fs.StringVar(&f.transfer, "transfer", "", "incoming: where the document goes (Chuyển)")
	fs.StringVar(&f.place, "place", "", "copy: the place name before the date")
	fs.StringVar(&f.form, "copy-form", "SAO Y", "copy: SAO Y, SAO LỤC or TRÍCH SAO")
	fs.StringVar(&f.pages, "pages", "", "initials: the `PAGES` to initial, e.g. 1,2,5 (default: every page)")
}

// plan turns the flow's flags into the signing options for the document
// in r; without --flow it returns base unchanged.
func (f *flowFlags) plan(r io.ReaderAt, size int64, s signer.Signer, base *pdf.Options) (*pdf.Options, error) {
	if f.flow == "" {
		return base, nil
	}
	readImage := func(flagName, path string, required bool) ([]byte, error) {
		if path == "" {
			if required {
				return nil, usagef("--flow %s needs --%s FILE", f.flow, flagName)
			}
			return nil, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, inputErr(fmt.Errorf("--%s: %w", flagName, err))
		}
		return b, nil
	}
	var anchor *pdf.Anchor
	if f.anchor != "" {
		anchor = &pdf.Anchor{Text: f.anchor, Page: f.anchorPage, Where: pdf.PlaceBelowLeft, Gap: 6}
	}
	stamp := pdf.StampOptions{Options: *base, Anchor: anchor}
	if base.Appearance != nil { // --visible places the flow's block
		stamp.Rect, stamp.Appearance = base.Appearance.Rect, nil
	}
	var p interface {
		Plan(io.ReaderAt, int64, signer.Signer) (*pdf.Options, error)
	}
	switch f.flow {
	case "approve":
		if f.anchor == "" {
			return nil, usagef("--flow approve needs --anchor TEXT (the signer's printed title or name)")
		}
		img, err := readImage("signature-image", f.sigImage, false)
		if err != nil {
			return nil, err
		}
		o := &pdf.ApprovalOptions{Options: *base, Anchor: pdf.Anchor{Text: f.anchor, Page: f.anchorPage}, Image: img}
		if base.Appearance != nil { // the anchor places the box, --visible sizes it
			o.Width, o.Height = base.Appearance.Rect.W, base.Appearance.Rect.H
		}
		p = o
	case "issue":
		if f.number == "" {
			return nil, usagef("--flow issue needs --number")
		}
		seal, err := readImage("seal", f.seal, true) // drawn in the --over or --visible box
		if err != nil {
			return nil, err
		}
		o := &pdf.IssueOptions{Options: *base, Number: f.number, DateText: f.date, Seal: seal, SealSize: pdf.MM(f.sealMM),
			NumberAnchor: &pdf.Anchor{Text: f.numberAnchor, Page: 1, Where: pdf.PlaceRight, Gap: 3},
			DateAnchor:   &pdf.Anchor{Text: f.dateAnchor, Page: 1, Where: pdf.PlaceRight, Gap: 3}}
		if base.Appearance == nil {
			if f.over == "" {
				return nil, usagef("--flow issue needs --over FIELD (the leader's signature) or --visible")
			}
			page, rect, err := pdf.FieldRect(r, size, base.Password, f.over)
			if err != nil {
				return nil, err
			}
			o.LeaderPage, o.LeaderImage = page, rect
		} else {
			o.Appearance.Image, o.Appearance.ImageLayout = seal, pdf.ImageOnly
		}
		p = o
	case "incoming":
		if f.number == "" {
			return nil, usagef("--flow incoming needs --number (the incoming number)")
		}
		p = &pdf.IncomingOptions{StampOptions: stamp, Agency: f.agency, Number: f.number, Transfer: f.transfer}
	case "copy":
		if f.agency == "" {
			return nil, usagef("--flow copy needs --agency")
		}
		seal, err := readImage("seal", f.seal, false)
		if err != nil {
			return nil, err
		}
		p = &pdf.CopyOptions{StampOptions: stamp, Form: f.form, Agency: f.agency, Number: f.number, Place: f.place, Seal: seal}
	case "appendix":
		if f.number == "" || f.agency == "" {
			return nil, usagef("--flow appendix needs --number (the main document's) and --agency")
		}
		p = &pdf.AppendixOptions{StampOptions: stamp, Number: f.number, Agency: f.agency}
	case "initials":
		var pages []int
		for _, v := range strings.Split(f.pages, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n == 0 || n < -1 {
				return nil, usagef("--pages %q: want page numbers such as 1,2,5", f.pages)
			}
			pages = append(pages, n)
		}
		p = &pdf.InitialsOptions{Options: *base, Pages: pages}
	default:
		return nil, usagef("--flow %q: want approve, issue, incoming, copy, appendix or initials", f.flow)
	}
	opts, err := p.Plan(r, size, s)
	if err != nil {
		return nil, err
	}
	return opts, nil
}
