package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/go-fonts/liberation/liberationsansbold"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// sealRed is the red of Vietnamese official seals, slightly translucent so
// that the signature under the seal stays readable.
var sealRed = color.NRGBA{R: 0xd7, G: 0x1a, B: 0x21, A: 0xe0}

// makeSeal draws a round red seal of size×size pixels on a transparent
// background, in the style of a Vietnamese agency's seal: two rings, the
// agency's name set around the top, its province around the bottom and a
// five-pointed star in the middle. It returns it as PNG.
func makeSeal(size int, top, bottom string) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	r := c - 2
	fill := func(inside func(x, y float64) bool) {
		for py := 0; py < size; py++ {
			for px := 0; px < size; px++ {
				// 2×2 supersampling for smooth edges.
				n := 0
				for _, d := range [4][2]float64{{.25, .25}, {.75, .25}, {.25, .75}, {.75, .75}} {
					if inside(float64(px)+d[0]-c, float64(py)+d[1]-c) {
						n++
					}
				}
				if n > 0 {
					blend(img, px, py, uint8(int(sealRed.A)*n/4))
				}
			}
		}
	}
	ring := func(outer, inner float64) {
		fill(func(x, y float64) bool { d := math.Hypot(x, y); return d <= outer && d >= inner })
	}
	ring(r, r-0.06*float64(size))
	ring(r-0.26*float64(size), r-0.28*float64(size))
	star := starPolygon(0.14*float64(size), 0.055*float64(size))
	fill(func(x, y float64) bool { return insidePolygon(star, x, y) })

	f, err := sfnt.Parse(liberationsansbold.TTF)
	if err != nil {
		return nil, fmt.Errorf("seal font: %w", err)
	}
	em := 0.085 * float64(size)
	textR := r - 0.19*float64(size) // baseline radius, between the rings
	if err := arcText(img, f, em, norm.NFC.String(top), c, textR, true); err != nil {
		return nil, err
	}
	if err := arcText(img, f, em, norm.NFC.String(bottom), c, textR, false); err != nil {
		return nil, err
	}

	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blend paints sealRed with alpha a over the pixel (the background is
// transparent or already red, so keeping the larger alpha is enough).
func blend(img *image.NRGBA, x, y int, a uint8) {
	i := img.PixOffset(x, y)
	if img.Pix[i+3] >= a {
		return
	}
	img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = sealRed.R, sealRed.G, sealRed.B, a
}

func starPolygon(outer, inner float64) [][2]float64 {
	pts := make([][2]float64, 10)
	for i := range pts {
		rad := outer
		if i%2 == 1 {
			rad = inner
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		pts[i] = [2]float64{rad * math.Cos(a), rad * math.Sin(a)}
	}
	return pts
}

func insidePolygon(p [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		if (p[i][1] > y) != (p[j][1] > y) && x < (p[j][0]-p[i][0])*(y-p[i][1])/(p[j][1]-p[i][1])+p[i][0] {
			in = !in
		}
	}
	return in
}

// arcText sets s along a circle of radius rad around (c, c): centred on the
// top of the circle reading clockwise when top, else centred on the bottom
// reading counter-clockwise (so both read left to right). Glyphs are
// rasterised from the font's outlines (even-odd fill, 3×3 supersampling).
func arcText(img *image.NRGBA, f *sfnt.Font, em float64, s string, c, rad float64, top bool) error {
	// Shrink the type when the text would cover more of the circle than
	// its half leaves room for.
	maxSpan := 1.2 * math.Pi
	if !top {
		maxSpan = 0.55 * math.Pi
	}
	var buf sfnt.Buffer
	width := 0.0
	for _, r := range s {
		idx, err := f.GlyphIndex(&buf, r)
		if err != nil || idx == 0 {
			return fmt.Errorf("seal font has no glyph for %q", r)
		}
		a, err := f.GlyphAdvance(&buf, idx, fixed.Int26_6(em*64), font.HintingNone)
		if err != nil {
			return fmt.Errorf("seal font: %w", err)
		}
		width += fix(a) * 1.08
	}
	if width/rad > maxSpan {
		em *= maxSpan * rad / width
	}
	ppem := fixed.Int26_6(em * 64)
	m, err := f.Metrics(&buf, ppem, font.HintingNone)
	if err != nil {
		return fmt.Errorf("seal font: %w", err)
	}
	asc := fix(m.CapHeight)
	type glyph struct {
		edges [][4]float64 // x0, y0, x1, y1 in pixels, baseline origin, y down
		adv   float64
	}
	var glyphs []glyph
	total := 0.0
	for _, r := range s {
		idx, err := f.GlyphIndex(&buf, r)
		if err != nil || idx == 0 {
			return fmt.Errorf("seal font has no glyph for %q", r)
		}
		a, err := f.GlyphAdvance(&buf, idx, ppem, font.HintingNone)
		if err != nil {
			return fmt.Errorf("seal font: %w", err)
		}
		segs, err := f.LoadGlyph(&buf, idx, ppem, nil)
		if err != nil {
			return fmt.Errorf("seal font: %w", err)
		}
		g := glyph{edges: flatten(segs), adv: fix(a) * 1.08} // seals space their letters
		glyphs = append(glyphs, g)
		total += g.adv
	}
	span := total / rad // angle covered by the text
	pos := 0.0
	for _, g := range glyphs {
		mid := pos + g.adv/2
		pos += g.adv
		var theta, rot, baseline float64
		if top {
			theta = -math.Pi/2 - span/2 + mid/rad
			rot = theta + math.Pi/2 // the glyph's up points outwards
			baseline = rad
		} else {
			theta = math.Pi/2 + span/2 - mid/rad
			rot = theta - math.Pi/2 // the glyph's up points inwards
			baseline = rad + asc
		}
		ox, oy := c+baseline*math.Cos(theta), c+baseline*math.Sin(theta)
		cos, sin := math.Cos(rot), math.Sin(rot)
		reach := int(2*math.Max(g.adv, asc)) + 2
		for py := int(oy) - reach; py <= int(oy)+reach; py++ {
			for px := int(ox) - reach; px <= int(ox)+reach; px++ {
				if !(image.Point{px, py}.In(img.Rect)) {
					continue
				}
				n := 0
				for sy := 0; sy < 3; sy++ {
					for sx := 0; sx < 3; sx++ {
						// Inverse-rotate the sample into glyph space.
						dx := float64(px) + (float64(sx)+.5)/3 - ox
						dy := float64(py) + (float64(sy)+.5)/3 - oy
						gx := dx*cos + dy*sin + g.adv/1.08/2
						gy := -dx*sin + dy*cos
						if evenOdd(g.edges, gx, gy) {
							n++
						}
					}
				}
				if n > 0 {
					blend(img, px, py, uint8(int(sealRed.A)*n/9))
				}
			}
		}
	}
	return nil
}

// flatten turns glyph outline segments into straight edges (quadratic and
// cubic curves split into 8 lines each).
func flatten(segs sfnt.Segments) [][4]float64 {
	var out [][4]float64
	var start, cur [2]float64
	pt := func(p fixed.Point26_6) [2]float64 { return [2]float64{fix(p.X), fix(p.Y)} }
	line := func(p [2]float64) {
		out = append(out, [4]float64{cur[0], cur[1], p[0], p[1]})
		cur = p
	}
	for _, sg := range segs {
		switch sg.Op {
		case sfnt.SegmentOpMoveTo:
			if cur != start {
				line(start)
			}
			start, cur = pt(sg.Args[0]), pt(sg.Args[0])
		case sfnt.SegmentOpLineTo:
			line(pt(sg.Args[0]))
		case sfnt.SegmentOpQuadTo:
			p0, p1, p2 := cur, pt(sg.Args[0]), pt(sg.Args[1])
			for i := 1; i <= 8; i++ {
				t := float64(i) / 8
				u := 1 - t
				line([2]float64{u*u*p0[0] + 2*u*t*p1[0] + t*t*p2[0], u*u*p0[1] + 2*u*t*p1[1] + t*t*p2[1]})
			}
		case sfnt.SegmentOpCubeTo:
			p0, p1, p2, p3 := cur, pt(sg.Args[0]), pt(sg.Args[1]), pt(sg.Args[2])
			for i := 1; i <= 8; i++ {
				t := float64(i) / 8
				u := 1 - t
				line([2]float64{
					u*u*u*p0[0] + 3*u*u*t*p1[0] + 3*u*t*t*p2[0] + t*t*t*p3[0],
					u*u*u*p0[1] + 3*u*u*t*p1[1] + 3*u*t*t*p2[1] + t*t*t*p3[1],
				})
			}
		}
	}
	if cur != start {
		line(start)
	}
	return out
}

// evenOdd reports whether (x, y) is inside the outline made of edges.
func evenOdd(edges [][4]float64, x, y float64) bool {
	in := false
	for _, e := range edges {
		if (e[1] > y) != (e[3] > y) && x < (e[2]-e[0])*(y-e[1])/(e[3]-e[1])+e[0] {
			in = !in
		}
	}
	return in
}

func fix(v fixed.Int26_6) float64 { return float64(v) / 64 }

// inkBlue is the colour of a handwritten signature in ink.
var inkBlue = color.NRGBA{R: 0x1a, G: 0x2f, B: 0x9c, A: 0xff}

// makeHandSignature draws a flourish standing in for the scanned
// handwritten signature of a leader, w×h pixels, blue on transparent, as
// PNG.
func makeHandSignature(w, h int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fw, fh := float64(w), float64(h)
	pen := math.Max(1.5, fh/30)
	dot := func(x, y float64) {
		for py := int(y - pen); py <= int(y+pen); py++ {
			for px := int(x - pen); px <= int(x+pen); px++ {
				if px >= 0 && py >= 0 && px < w && py < h && math.Hypot(float64(px)-x, float64(py)-y) <= pen {
					img.SetNRGBA(px, py, inkBlue)
				}
			}
		}
	}
	// Three loops drifting right, then a long underline stroke.
	for t := 0.0; t <= 1; t += 0.0005 {
		a := t * 6 * math.Pi
		x := 0.1*fw + 0.6*fw*t + 0.08*fw*math.Cos(a)
		y := 0.45*fh - 0.25*fh*math.Sin(a)*(1-0.4*t)
		dot(x, y)
	}
	for t := 0.0; t <= 1; t += 0.001 {
		dot(0.08*fw+0.85*fw*t, 0.78*fh-0.08*fh*math.Sin(t*math.Pi))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
