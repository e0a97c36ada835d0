package ofx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// WriteOptions choose the form of a written document. The zero value writes
// OFX 1.02 SGML as banks do.
//
// Character sets: XML is always UTF-8. SGML declares ENCODING:USASCII and
// CHARSET:1252, the pair banks send and every OFX client reads, and values are
// transcoded to Windows-1252; a character 1252 lacks is written as "?". With
// UTF8 set, SGML declares ENCODING:UTF-8 and CHARSET:NONE and loses nothing.
type WriteOptions struct {
	// Version is the OFX version: 102, 103, 151 or 160 write SGML; 200, 201,
	// 202, 203, 210, 211 or 220 write XML. Empty means the document's own
	// version, else 102.
	Version string
	// CloseLeaves closes SGML leaf elements (<TRNAMT>1.00</TRNAMT>). Banks
	// leave them open, the default; XML always closes them.
	CloseLeaves bool
	// UTF8 writes SGML in UTF-8 rather than Windows-1252.
	UTF8 bool
	// Indent is written once per level of nesting before each element.
	// Every element starts a line either way.
	Indent string
	// OldFileUID and NewFileUID go in the header; NONE when empty. They may
	// hold letters, digits and "-" only.
	OldFileUID, NewFileUID string
}

// defaultVersion is written when neither the options nor the document name a
// version.
const defaultVersion = "102"

// writeVersions are the versions the writer knows, with the form each takes.
var writeVersions = map[string]string{
	"102": FormatSGML, "103": FormatSGML, "151": FormatSGML, "160": FormatSGML,
	"200": FormatXML, "201": FormatXML, "202": FormatXML, "203": FormatXML,
	"210": FormatXML, "211": FormatXML, "220": FormatXML,
}

// ErrWriteOrder is returned when a ResponseWriter is called out of order: before
// Signon, after Close, or for a message set OFX puts before one already written.
var ErrWriteOrder = errors.New("out of order")

// docWriter writes OFX elements in either form through a bufio.Writer. It
// keeps the first write error and writes nothing after it.
type docWriter struct {
	w           *bufio.Writer
	pooled      bool   // w is from bufWriters, returned by flush
	closeLeaves bool   // write </NAME> after a leaf value
	utf8        bool   // values in UTF-8, else Windows-1252
	indent      string // per level
	newline     string // CRLF for SGML, as banks write it; LF for XML
	depth       int
	err         error
}

// newDocWriter checks the options, picks the version (opts.Version, else
// docVersion, else 102) and writes the header.
func newDocWriter(w io.Writer, opts WriteOptions, docVersion string) (*docWriter, error) {
	version := opts.Version
	if version == "" {
		version = docVersion
	}
	if version == "" {
		version = defaultVersion
	}
	format, ok := writeVersions[version]
	if !ok {
		return nil, fmt.Errorf("write OFX: unknown version %q", version)
	}
	oldUID, err := fileUID("OLDFILEUID", opts.OldFileUID)
	if err != nil {
		return nil, err
	}
	newUID, err := fileUID("NEWFILEUID", opts.NewFileUID)
	if err != nil {
		return nil, err
	}
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufWriters.Get().(*bufio.Writer)
		bw.Reset(w)
	}
	d := &docWriter{w: bw, pooled: !ok, indent: opts.Indent}
	if format == FormatXML {
		d.closeLeaves, d.utf8, d.newline = true, true, "\n"
		d.raw(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + d.newline)
		d.raw(`<?OFX OFXHEADER="200" VERSION="` + version + `" SECURITY="NONE" OLDFILEUID="` +
			oldUID + `" NEWFILEUID="` + newUID + `"?>` + d.newline)
	} else {
		d.closeLeaves, d.utf8, d.newline = opts.CloseLeaves, opts.UTF8, "\r\n"
		encoding, charset := "USASCII", "1252"
		if d.utf8 {
			encoding, charset = "UTF-8", "NONE"
		}
		for _, line := range []string{
			"OFXHEADER:100", "DATA:OFXSGML", "VERSION:" + version, "SECURITY:NONE",
			"ENCODING:" + encoding, "CHARSET:" + charset, "COMPRESSION:NONE",
			"OLDFILEUID:" + oldUID, "NEWFILEUID:" + newUID, "",
		} {
			d.raw(line + d.newline)
		}
	}
	return d, d.err
}

// fileUID checks a header file UID; "" is NONE.
func fileUID(name, v string) (string, error) {
	if v == "" {
		return "NONE", nil
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-') {
			return "", fmt.Errorf("write OFX: %s %q: only letters, digits and - are allowed", name, v)
		}
	}
	return v, nil
}

func (d *docWriter) raw(s string) {
	if d.err == nil && d.w != nil { // nil: flushed, the document ended
		_, d.err = d.w.WriteString(s)
	}
}

// tag writes <NAME> or </NAME> without building a string.
func (d *docWriter) tag(start, name string) {
	d.raw(start)
	d.raw(name)
	d.raw(">")
}

func (d *docWriter) pad() {
	if d.indent != "" {
		for range d.depth {
			d.raw(d.indent)
		}
	}
}

// open starts an aggregate.
func (d *docWriter) open(name string) {
	d.pad()
	d.tag("<", name)
	d.raw(d.newline)
	d.depth++
}

// close ends an aggregate.
func (d *docWriter) close(name string) {
	d.depth--
	d.pad()
	d.tag("</", name)
	d.raw(d.newline)
}

// leaf writes an element with a value, even an empty one; callers check
// required values first, since an empty SGML leaf would read as an aggregate.
func (d *docWriter) leaf(name, value string) {
	d.pad()
	d.tag("<", name)
	d.value(trimValue(value))
	if d.closeLeaves {
		d.tag("</", name)
	}
	d.raw(d.newline)
}

// opt writes a leaf when its value is not blank.
func (d *docWriter) opt(name, value string) {
	if !blankValue(value) {
		d.leaf(name, value)
	}
}

// date writes a date as it was read: with a time and zone, or a bare day.
func (d *docWriter) date(name string, v Date) {
	if v.HasTime {
		d.leaf(name, FormatDate(v.Time))
	} else {
		d.leaf(name, FormatDay(v.Time))
	}
}

// optDate writes a date when it is valid.
func (d *docWriter) optDate(name string, v Date) {
	if v.Valid {
		d.date(name, v)
	}
}

// instant writes a time with its zone.
func (d *docWriter) instant(name string, t time.Time) { d.leaf(name, FormatDate(t)) }

// since writes a "changed since" time; zero is 19700101, which asks for
// everything.
func (d *docWriter) since(name string, t time.Time) {
	if t.IsZero() {
		d.leaf(name, "19700101")
		return
	}
	d.instant(name, t)
}

// flag writes an OFX boolean.
func (d *docWriter) flag(name string, b bool) {
	if b {
		d.leaf(name, "Y")
	} else {
		d.leaf(name, "N")
	}
}

// status writes a STATUS aggregate. An absent status is written as success;
// an empty severity is INFO for success and ERROR otherwise.
func (d *docWriter) status(s Status) {
	sev := s.Severity
	if sev == "" {
		sev = "INFO"
		if !s.OK() {
			sev = "ERROR"
		}
	}
	d.open("STATUS")
	d.leaf("CODE", fmt.Sprint(s.Code))
	d.leaf("SEVERITY", sev)
	d.opt("MESSAGE", s.Message)
	d.close("STATUS")
}

// value writes text escaped for both forms (&, <, >) and made valid for the
// declared charset: control characters become spaces (values are one line),
// bytes that are not UTF-8 and non-characters become U+FFFD, or "?" in
// Windows-1252 along with anything 1252 cannot hold.
func (d *docWriter) value(s string) {
	if needsNoEscape(s) {
		d.raw(s)
		return
	}
	if d.err != nil || d.w == nil {
		return
	}
	w := d.w
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '&':
			w.WriteString("&amp;")
		case r == '<':
			w.WriteString("&lt;")
		case r == '>':
			w.WriteString("&gt;")
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			w.WriteByte(' ')
		case r < utf8.RuneSelf:
			w.WriteByte(byte(r))
		case r == utf8.RuneError || r == 0xfffe || r == 0xffff:
			if d.utf8 {
				w.WriteRune(utf8.RuneError)
			} else {
				w.WriteByte('?')
			}
		case d.utf8:
			w.WriteRune(r)
		default:
			if c, ok := charmap.Windows1252.EncodeRune(r); ok {
				w.WriteByte(c)
			} else {
				w.WriteByte('?')
			}
		}
	}
	// bufio.Writer keeps its first error; take it once rather than per byte.
	if _, err := w.Write(nil); err != nil {
		d.err = err
	}
}

// needsNoEscape reports whether s is printable ASCII with nothing to escape.
func needsNoEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// bufWriters keeps the 64 KiB buffers of documents written: a sync sends a
// request and fakebank an answer per account, thousands a minute.
var bufWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// flush writes out what is buffered and returns the first error. It ends
// the document: nothing more is written.
func (d *docWriter) flush() error {
	if d.err == nil && d.w != nil {
		d.err = d.w.Flush()
	}
	if d.pooled {
		d.w.Reset(nil)
		bufWriters.Put(d.w)
		d.w, d.pooled = nil, false
	}
	return d.err
}

// carries reports whether value is written exactly as given: no spaces or
// control characters at its ends or inside, and, in Windows-1252, only
// characters that set has.
func (d *docWriter) carries(value string) bool {
	if trimValue(value) != value {
		return false
	}
	for _, r := range value {
		switch {
		case r < 0x20 || r >= 0x7f && r < 0xa0 || r == utf8.RuneError || r == 0xfffe || r == 0xffff:
			return false
		case r >= utf8.RuneSelf && !d.utf8:
			if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
				return false
			}
		}
	}
	return true
}

// blankValue reports whether a value is missing or would be written as
// nothing but spaces, which an SGML reader takes for no value at all.
func blankValue(s string) bool { return trimValue(s) == "" }

// trimValue trims spaces and what value writes as spaces.
func trimValue(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r <= ' ' || (r >= 0x7f && r < 0xa0) || unicode.IsSpace(r)
	})
}
