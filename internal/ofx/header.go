package ofx

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxProlog bounds what may precede <OFX>: a header, an XML declaration,
// comments, blank lines.
const maxProlog = 64 << 10

// walk reads an OFX document from r: its prolog (the OFX 1.x header, or the
// XML declaration and <?OFX?> instruction) and its body, calling h for each
// element. aggregates names the elements that hold other elements; any other
// element with no text is transparent (aggregateNames makes the map). It returns the header and the format
// (FormatSGML or FormatXML), or a *SyntaxError for a document that is not
// OFX, cut short, or hostile.
func walk(r io.Reader, opts Options, aggregates map[string]aggrName, h elementHandler) (Header, string, error) {
	opts = opts.withDefaults()
	w := &warnings{max: opts.MaxWarnings}
	s := newScanner(r, opts, aggregates, w)
	return s.walk(h)
}

func (s *scanner) walk(h elementHandler) (Header, string, error) {
	s.text.line = s.tagLine
	if err := s.detectUTF16(); err != nil {
		return Header{}, "", err
	}
	if err := s.detectLineEnd(); err != nil {
		return Header{}, "", err
	}
	hdr, xml, err := s.prolog()
	if err != nil {
		return hdr, "", err
	}
	s.text.setCharset(hdr, xml)
	for {
		if err := s.run(h); err != nil {
			return hdr, "", err
		}
		more, err := s.nextDocument()
		if err != nil {
			return hdr, "", err
		}
		if !more {
			break
		}
		s.closedOFX = false
	}
	format := FormatSGML
	switch {
	case xml:
		format = FormatXML
	case hdr.OFXHeader == "" && hdr.Data == "" && s.leaves > 0 && s.closedLeaves == s.leaves:
		format = FormatXML // no header, every leaf closed: an OFX 2 body
	}
	return hdr, format, nil
}

// nextDocument looks past </OFX>. Files joined with cat hold several
// documents: the next <OFX> is read as more of the same response. Other text
// there is reported and ignored.
func (s *scanner) nextDocument() (bool, error) {
	for {
		for s.pos < s.end && (s.buf[s.pos] == ' ' || s.buf[s.pos] == '\t' || s.buf[s.pos] == '\r' || s.buf[s.pos] == '\n' || s.buf[s.pos] == 0) {
			s.pos++
		}
		if s.pos < s.end {
			break
		}
		more, err := s.fill()
		if err != nil {
			return false, err
		}
		if !more {
			return false, nil
		}
	}
	if err := s.ensure(maxProlog + 5); err != nil {
		return false, err
	}
	i := ofxStart(s.buf[s.pos:min(s.end, s.pos+maxProlog+5)])
	if i < 0 {
		s.text.warn.add(s.lineAt(s.pos), "text after </OFX> is not OFX; ignored")
		return false, nil
	}
	s.pos += i
	s.text.warn.add(s.lineAt(s.pos), "a second OFX document follows the first; its statements are read too")
	return true, nil
}

// ofxStart returns the index in win of the first <OFX> start tag (any case)
// that begins within maxProlog bytes, or -1.
func ofxStart(win []byte) int {
	for from := 0; ; {
		i := bytes.IndexByte(win[from:], '<')
		if i < 0 || from+i > maxProlog {
			return -1
		}
		i += from
		if t := win[i:]; len(t) >= 5 && strings.EqualFold(string(t[1:4]), "OFX") && !isNameByte(t[4]) {
			return i
		}
		from = i + 1
	}
}

// detectUTF16 re-reads a UTF-16 document (with a byte-order mark, or ASCII
// with zero bytes between) as UTF-8.
func (s *scanner) detectUTF16() error {
	if err := s.ensure(4); err != nil {
		return err
	}
	b := s.buf[s.pos:s.end]
	if len(b) < 4 {
		return nil
	}
	var enc transform.Transformer
	switch {
	case b[0] == 0xFF && b[1] == 0xFE, b[0] == 0xFE && b[1] == 0xFF:
		enc = unicode.BOMOverride(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	case b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0:
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	default:
		return nil
	}
	head := append([]byte(nil), b...)
	s.r = transform.NewReader(io.MultiReader(bytes.NewReader(head), s.r), enc)
	s.pos, s.end, s.eof, s.rerr = 0, 0, false, nil
	s.whole = false // the decoded text is longer
	return nil
}

// detectLineEnd counts lines by CR in a file whose lines end in CR alone,
// as the first line end of the file shows.
func (s *scanner) detectLineEnd() error {
	if err := s.ensure(maxProlog); err != nil {
		return err
	}
	b := s.buf[s.pos:s.end]
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 && b[i] == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
		s.nl = '\r'
	}
	return nil
}

// prolog reads up to the <OFX> start tag and parses what precedes it. A
// header may be missing, preceded by blank lines, out of order, missing
// fields, on one line, or wrapped in a comment.
func (s *scanner) prolog() (Header, bool, error) {
	var hdr Header
	if err := s.ensure(3); err != nil {
		return hdr, false, err
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], []byte{0xEF, 0xBB, 0xBF}) {
		s.pos += 3
	}
	// The prolog is small: read at once as much as it may take.
	if err := s.ensure(maxProlog + 5); err != nil {
		return hdr, false, err
	}
	win := s.buf[s.pos:min(s.end, s.pos+maxProlog+5)]
	whole := len(win) < maxProlog+5 // the input ends inside the window
	i := ofxStart(win)
	if i < 0 {
		switch {
		case len(win) == 0:
			return hdr, false, s.errorf(s.pos, "empty file: not an OFX document")
		case whole && bytes.Contains(bytes.ToUpper(win), []byte("OFXHEADER")):
			// A header and no body: a download cut short.
			return hdr, false, s.errorf(s.end, "file cut short: it ends in the header, before <OFX>; nothing of it is used")
		}
		return hdr, false, s.errorf(s.pos, "no <OFX> element: not an OFX document")
	}
	xml := parseProlog(win[:i], &hdr)
	s.lineAt(s.pos + i)
	s.pos += i
	return hdr, xml, nil
}

// parseProlog reads header fields from the text before <OFX>: KEY:VALUE
// pairs (OFX 1.x) and KEY="VALUE" attributes of <?xml?> and <?OFX?>. It
// reports whether the document declares itself XML.
func parseProlog(p []byte, hdr *Header) bool {
	xml := bytes.Contains(p, []byte("<?xml")) || bytes.Contains(p, []byte("<?OFX")) || bytes.Contains(p, []byte("<?ofx"))
	fields := strings.FieldsFunc(string(p), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '<' || r == '>' || r == '?'
	})
	for i, f := range fields {
		sep := strings.IndexAny(f, ":=")
		if sep <= 0 {
			continue
		}
		key := strings.ToUpper(f[:sep])
		val := strings.Trim(f[sep+1:], `"'`)
		// "OLDFILEUID:" followed by a line with nothing: an empty value.
		if val == "" && f[sep] == ':' && i+1 < len(fields) && !strings.ContainsAny(fields[i+1], ":=") {
			val = fields[i+1]
		}
		switch key {
		case "OFXHEADER":
			hdr.OFXHeader = val
		case "DATA":
			hdr.Data = val
		case "VERSION":
			// <?xml version="1.0"?> is not the OFX version.
			if !(f[sep] == '=' && strings.Contains(val, ".")) {
				hdr.Version = val
			}
		case "SECURITY":
			hdr.Security = val
		case "ENCODING":
			hdr.Encoding = val
		case "CHARSET":
			hdr.Charset = val
		case "COMPRESSION":
			hdr.Compression = val
		case "OLDFILEUID":
			hdr.OldFileUID = val
		case "NEWFILEUID":
			hdr.NewFileUID = val
		}
	}
	if strings.HasPrefix(hdr.OFXHeader, "2") {
		xml = true
	}
	if strings.EqualFold(hdr.Data, "OFXSGML") || hdr.OFXHeader == "100" {
		xml = false
	}
	return xml
}
