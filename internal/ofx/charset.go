package ofx

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// warnings collects a document's warnings, keeping at most max of them.
type warnings struct {
	list    []string
	dropped int
	max     int
}

func (w *warnings) add(line int, format string, args ...any) {
	if len(w.list) >= w.max {
		w.dropped++
		return
	}
	w.list = append(w.list, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
}

// textDecoder turns raw element text into valid UTF-8. Bytes outside ASCII are
// read as UTF-8 when they form valid UTF-8 (whatever the header claims: many
// banks label UTF-8 files 1252), else in the declared single-byte character
// set, else in Windows-1252. Entities (&amp; &#233; …) are decoded; a bare '&'
// stays as it is.
type textDecoder struct {
	warn     *warnings
	line     func() int
	label    string            // the declared character set, for messages
	single   encoding.Encoding // the declared single-byte set, or nil
	utf8     bool              // the header declares UTF-8
	sniffed  bool              // a mislabelling was reported
	dec      *encoding.Decoder // decoder of single, made once
	scratch  []byte
	scratch2 []byte
}

// setCharset reads the header's declaration.
func (d *textDecoder) setCharset(h Header, xml bool) {
	label := ""
	switch {
	case xml:
		label = h.Encoding
		if label == "" {
			label = "UTF-8"
		}
	case strings.EqualFold(h.Encoding, "UTF-8") || strings.EqualFold(h.Encoding, "UNICODE"):
		label = "UTF-8"
	default:
		label = h.Charset
	}
	d.label = label
	l := strings.ToLower(strings.TrimSpace(label))
	switch {
	case l == "" || l == "none" || l == "usascii" || l == "us-ascii" || l == "ascii":
		d.single = charmap.Windows1252 // nothing declared beyond ASCII: the usual case is 1252
		d.label = ""
	case l == "utf-8" || l == "utf8" || l == "unicode" || l == "csunicode":
		d.utf8 = true
	case strings.HasPrefix(l, "utf-16") || strings.HasPrefix(l, "utf16") || l == "ucs-2":
		d.utf8 = true // detectUTF16 has turned the text into UTF-8
	default:
		if _, err := strconv.Atoi(l); err == nil && strings.HasPrefix(l, "125") {
			l = "windows-" + l
		} else if strings.HasPrefix(l, "8859") {
			l = "iso-" + l
		}
		enc, err := htmlindex.Get(l)
		if err != nil || enc == nil {
			d.single = charmap.Windows1252
			d.warn.add(1, "unknown character set %q; text outside ASCII read as Windows-1252", label)
			return
		}
		if name, _ := htmlindex.Name(enc); name == "utf-8" {
			d.utf8 = true
			return
		}
		d.single = enc
	}
}

// decode returns v as UTF-8 with entities decoded. The result may alias v or
// the decoder's scratch space: it is valid until the next call.
func (d *textDecoder) decode(v []byte) []byte {
	high, amp := false, false
	for _, c := range v {
		if c >= 0x80 {
			high = true
		} else if c == '&' {
			amp = true
		}
	}
	if high {
		v = d.charset(v)
	}
	if amp {
		v = d.entities(v)
	}
	return v
}

// note looks at text that will not be kept, only to give the warnings
// decode would give.
func (d *textDecoder) note(v []byte) {
	if d.sniffed {
		return
	}
	for _, c := range v {
		if c >= 0x80 {
			// Only a mislabelling warns; a correctly labelled value needs no work.
			if valid := utf8.Valid(v); valid == (d.single != nil && d.label != "") || !valid && d.single == nil {
				d.charset(v)
			}
			return
		}
	}
}

func (d *textDecoder) charset(v []byte) []byte {
	if utf8.Valid(v) {
		if d.single != nil && d.label != "" && !d.sniffed {
			d.sniffed = true
			d.warn.add(d.line(), "the header declares character set %s but the text is UTF-8; read as UTF-8", d.label)
		}
		return v
	}
	if d.dec == nil {
		enc := d.single
		if enc == nil {
			enc = charmap.Windows1252
		}
		d.dec = enc.NewDecoder()
	}
	if d.single == nil && !d.sniffed {
		d.sniffed = true
		d.warn.add(d.line(), "the header declares UTF-8 but the text is not; read as Windows-1252")
	}
	// A single-byte character decodes to at most 3 bytes of UTF-8.
	if cap(d.scratch2) < 3*len(v) {
		d.scratch2 = make([]byte, 3*len(v))
	}
	out := d.scratch2[:cap(d.scratch2)]
	d.dec.Reset()
	n, _, err := d.dec.Transform(out, v, true)
	if err != nil || !utf8.Valid(out[:n]) {
		return []byte(strings.ToValidUTF8(string(v), "\uFFFD"))
	}
	return out[:n]
}

var entities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'", "nbsp": "\u00a0"}

func (d *textDecoder) entities(v []byte) []byte {
	out := d.scratch[:0]
	for len(v) > 0 {
		i := indexByte(v, '&')
		if i < 0 {
			out = append(out, v...)
			break
		}
		out = append(out, v[:i]...)
		v = v[i:]
		semi := indexByte(v[:min(len(v), 12)], ';')
		if semi < 0 {
			out = append(out, '&')
			v = v[1:]
			continue
		}
		name := string(v[1:semi])
		if rep, ok := entities[name]; ok {
			out = append(out, rep...)
			v = v[semi+1:]
			continue
		}
		if len(name) > 1 && name[0] == '#' {
			var n uint64
			var err error
			if name[1] == 'x' || name[1] == 'X' {
				n, err = strconv.ParseUint(name[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(name[1:], 10, 32)
			}
			if err == nil && utf8.ValidRune(rune(n)) && n != 0 {
				out = utf8.AppendRune(out, rune(n))
				v = v[semi+1:]
				continue
			}
		}
		out = append(out, '&')
		v = v[1:]
	}
	d.scratch = out
	return out
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
