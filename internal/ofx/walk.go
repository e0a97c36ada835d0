package ofx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Options bound the reader so hostile input is refused, not an out-of-memory.
// Zero values take the defaults.
type Options struct {
	MaxDepth      int // open elements at once; default 1000
	MaxTokenBytes int // one tag or one value; default 1 MiB
	MaxWarnings   int // warnings kept (the rest are counted); default 1000
	MaxStatements int // statements in one document; default 10,000
	MaxItems      int // positions, securities and account entries in one document; default 1,000,000
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 1000
	}
	if o.MaxTokenBytes <= 0 {
		o.MaxTokenBytes = 1 << 20
	}
	if o.MaxWarnings <= 0 {
		o.MaxWarnings = 1000
	}
	if o.MaxStatements <= 0 {
		o.MaxStatements = 10000
	}
	if o.MaxItems <= 0 {
		o.MaxItems = 1000000
	}
	return o
}

// SyntaxError rejects a whole document: cut short, not OFX, or hostile.
type SyntaxError struct {
	Line   int   // 1-based line of the position
	Offset int64 // byte offset in the file
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d (byte %d): %s", e.Line, e.Offset, e.Msg)
}

// elementHandler receives a document's structure. Names are upper case and
// valid only during the call; so are values, which arrive trimmed, with
// entities and the character set decoded to UTF-8.
type elementHandler interface {
	open(name []byte) error        // a known aggregate opens
	close(name []byte) error       // a known aggregate closes, explicitly or because an ancestor closed
	leaf(name, value []byte) error // an element with a text value
}

// The window starts at firstChunk, enough for a request or a small response,
// and grows to readChunk when the input is larger.
const (
	firstChunk = 8 << 10
	readChunk  = 256 << 10
)

// frame is one open element. Unknown elements (proprietary ones, empty leaves)
// are kept only so their end tags can be matched; handlers never see them.
type frame struct {
	name  string
	bname []byte
	known bool
}

// aggrName is a known aggregate's name, held once as a string and as bytes so
// that opening one allocates nothing.
type aggrName struct {
	s string
	b []byte
}

func aggregateNames(set map[string]bool) map[string]aggrName {
	m := make(map[string]aggrName, len(set))
	for k := range set {
		m[k] = aggrName{s: k, b: []byte(k)}
	}
	return m
}

// scanner tokenizes an OFX body, SGML or XML alike, from a sliding window over
// the input. Only the current token is ever held, so memory stays bounded.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // end of valid bytes in buf
	base int64 // file offset of buf[0]
	eof  bool
	rerr error

	nl        byte  // line terminator counted: '\n', or '\r' for CR-only files
	lines     int   // terminators seen before lineMark
	lineMark  int64 // file offset up to which lines are counted
	opts      Options
	text      textDecoder
	stack     []frame
	aggr      map[string]aggrName
	name      []byte // the current tag name, upper case
	tagEnd    int64  // file offset just after the current start tag
	lastLeaf  []byte // name of the last leaf, to skip its end tag quickly
	closedOFX bool
	// whole says buf was made to hold the whole input: it never grows
	// until it is full.
	whole bool
	// raw hands values to the handler undecoded; the handler decodes what
	// it keeps with text.decode.
	raw bool

	leaves, closedLeaves int // to tell XML from SGML when there is no header

	// items maps each aggregate that repeats in a list to its list
	// (STMTTRN → BANKTRANLIST); nil when the caller knows no lists.
	items map[string]string
	// owners maps an aggregate that belongs directly under one of a few
	// parents to them: LEDGERBAL under a statement. When it opens, what is
	// still open above its parent (a transaction list whose end tag was left
	// out) ends first, so the balance is not read as part of a transaction.
	owners map[string][]string
	value  []byte // a value holding CDATA, gathered from its pieces
}

func newScanner(r io.Reader, opts Options, aggr map[string]aggrName, w *warnings) *scanner {
	s := &scanner{
		r:    r,
		nl:   '\n',
		opts: opts,
		aggr: aggr,
		text: textDecoder{warn: w},
	}
	size := firstChunk
	if l, ok := r.(interface{ Len() int }); ok && l.Len() < maxWhole {
		// The input is in memory and says how long it is: one window
		// holds it all, with a byte to spare to see its end, so it is
		// read once and never copied to a larger window.
		size, s.whole = l.Len()+1, true
	}
	s.buf = make([]byte, size)
	return s
}

// maxWhole bounds the input read into a window of its own size (see
// scanner.whole); a longer one is read through a sliding window.
const maxWhole = 8 << 20

// offset returns the file offset of buf[i].
func (s *scanner) offset(i int) int64 { return s.base + int64(i) }

// lineAt returns the 1-based line of buf[i]. Lines are counted incrementally,
// so asking in file order costs one pass over the input in all.
func (s *scanner) lineAt(i int) int {
	off := s.offset(i)
	if off > s.lineMark {
		from := int(s.lineMark - s.base)
		if from < 0 {
			from = 0
		}
		s.lines += bytes.Count(s.buf[from:i], []byte{s.nl})
		s.lineMark = off
	}
	return s.lines + 1
}

// tagLine returns the line of the current start tag, for what a handler says
// of the element (the position after "<TRNAMT>x\n" is on the next line).
func (s *scanner) tagLine() int { return s.lineAt(int(s.tagEnd - s.base)) }

func (s *scanner) errorf(i int, format string, args ...any) error {
	return &SyntaxError{Line: s.lineAt(i), Offset: s.offset(i), Msg: fmt.Sprintf(format, args...)}
}

// fill reads more input, keeping buf[s.pos:]. It returns false at the end of
// the input. A token that outgrows MaxTokenBytes is refused.
func (s *scanner) fill() (bool, error) {
	if s.eof {
		return false, s.rerr
	}
	if s.pos > 0 {
		s.lineAt(s.pos) // count lines of what is about to be dropped
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end = n
		s.pos = 0
	}
	if s.end == len(s.buf) || !s.whole && len(s.buf) < readChunk && s.end > len(s.buf)/2 {
		if s.end == len(s.buf) && len(s.buf) >= s.opts.MaxTokenBytes+readChunk {
			return false, s.tooLong()
		}
		nb := make([]byte, min(2*len(s.buf), max(s.opts.MaxTokenBytes+readChunk, readChunk)))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) {
				s.rerr = err
				return n > 0, err
			}
			return n > 0, nil
		}
		if n > 0 {
			return true, nil
		}
	}
}

// countAhead counts tag in what is left of the input, up to end when it is
// there, when the whole input is at hand (see whole); else 0. It is an
// estimate: tags in other letter cases, or in values, are not told apart.
func (s *scanner) countAhead(tag, end []byte) int {
	if !s.whole {
		return 0
	}
	rest := s.buf[s.pos:s.end]
	if i := bytes.Index(rest, end); i >= 0 {
		rest = rest[:i]
	}
	return bytes.Count(rest, tag)
}

// ensure makes buf[s.pos:s.pos+n] available if the input has it.
func (s *scanner) ensure(n int) error {
	for s.end-s.pos < n {
		more, err := s.fill()
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
}

// indexFrom finds sep at or after buf[s.pos+from], reading more input as needed.
// It returns the index relative to s.pos, or -1 at the end of the input.
func (s *scanner) indexFrom(from int, sep []byte) (int, error) {
	for {
		if s.pos+from <= s.end {
			var i int
			if len(sep) == 1 {
				i = bytes.IndexByte(s.buf[s.pos+from:s.end], sep[0])
			} else {
				i = bytes.Index(s.buf[s.pos+from:s.end], sep)
			}
			if i >= 0 {
				if from+i > s.opts.MaxTokenBytes {
					return -1, s.tooLong()
				}
				return from + i, nil
			}
		}
		if s.end-s.pos > s.opts.MaxTokenBytes {
			return -1, s.tooLong()
		}
		// Search again only over the new bytes (keeping an overlap for sep).
		from = max(from, s.end-s.pos-len(sep)+1)
		more, err := s.fill()
		if err != nil {
			return -1, err
		}
		if !more {
			return -1, nil
		}
	}
}

func (s *scanner) tooLong() error {
	return s.errorf(s.pos, "an element is longer than %d bytes; refused", s.opts.MaxTokenBytes)
}

func isNameStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':'
}

// run walks the body from the <OFX> start tag at s.pos until </OFX>.
func (s *scanner) run(h elementHandler) error {
	var leafName []byte
	for {
		// Find the next '<'.
		i := bytes.IndexByte(s.buf[s.pos:s.end], '<')
		if i < 0 {
			s.pos = s.end
			more, err := s.fill()
			if err != nil {
				return err
			}
			if !more {
				return s.cutShort()
			}
			continue
		}
		s.pos += i
		if err := s.ensure(2); err != nil {
			return err
		}
		if s.end-s.pos < 2 {
			return s.cutShort()
		}
		c := s.buf[s.pos+1]
		switch {
		case c == '/':
			gt, err := s.indexFrom(2, []byte{'>'})
			if err != nil {
				return err
			}
			if gt < 0 {
				return s.cutShortIn("an end tag")
			}
			name := s.tagName(s.buf[s.pos+2 : s.pos+gt])
			s.pos += gt + 1
			if len(name) == 0 {
				continue
			}
			if leafName != nil && bytes.Equal(name, leafName) {
				s.closedLeaves++
				leafName = nil
				continue
			}
			leafName = nil
			if err := s.closeElement(h, name); err != nil {
				return err
			}
			if s.closedOFX {
				return nil
			}
		case c == '!' || c == '?':
			if err := s.skipMarkup(); err != nil {
				return err
			}
		case isNameStart(c):
			leafName = nil
			gt, err := s.indexFrom(1, []byte{'>'})
			if err != nil {
				return err
			}
			if gt < 0 {
				return s.cutShortIn("a start tag")
			}
			tag := s.buf[s.pos+1 : s.pos+gt]
			selfClosing := len(tag) > 0 && tag[len(tag)-1] == '/'
			s.name = append(s.name[:0], s.tagName(tag)...)
			s.pos += gt + 1
			s.tagEnd = s.offset(s.pos)
			if selfClosing {
				if canon, ok := s.aggr[string(s.name)]; ok {
					if err := s.push(h, canon, true); err != nil {
						return err
					}
					if err := s.closeElement(h, canon.b); err != nil {
						return err
					}
				}
				continue
			}
			value, err := s.readValue()
			if err != nil {
				return err
			}
			if len(value) > 0 {
				s.leaves++
				leafName = append(s.lastLeaf[:0], s.name...)
				s.lastLeaf = leafName
				if err := h.leaf(s.name, value); err != nil {
					return err
				}
				continue
			}
			if canon, ok := s.aggr[string(s.name)]; ok {
				if err := s.push(h, canon, true); err != nil {
					return err
				}
				continue
			}
			// An empty leaf or a proprietary aggregate: transparent.
			if len(s.stack) == 0 {
				return s.errorf(s.pos, "<%s> outside <OFX>", s.name)
			}
			if err := s.push(h, aggrName{s: string(s.name)}, false); err != nil {
				return err
			}
		default:
			// A '<' that starts no tag ("AT&T <3"): text, skipped.
			s.pos++
		}
	}
}

// tagName returns the element name of a tag's inside, upper-cased in place.
func (s *scanner) tagName(tag []byte) []byte {
	n := 0
	for n < len(tag) && isNameByte(tag[n]) {
		if c := tag[n]; c >= 'a' && c <= 'z' {
			tag[n] = c - 'a' + 'A'
		}
		n++
	}
	return tag[:n]
}

// readValue reads the text after a start tag up to the next tag, trimmed and
// decoded. CDATA sections and stray '<' that start no tag are part of it; a
// value holding CDATA is gathered in s.value, its sections' '&' escaped so
// that decoding leaves their text as it is.
func (s *scanner) readValue() ([]byte, error) {
	from := 0
	cdata := false
	consumed := 0 // bytes of the value before s.pos, in sections already read
	for {
		i, err := s.indexFrom(from, []byte{'<'})
		if err != nil {
			return nil, err
		}
		if i < 0 {
			// End of input inside a value: the caller reports it.
			return nil, s.cutShortIn("<" + string(s.name) + ">")
		}
		if err := s.ensure(i + 9); err != nil {
			return nil, err
		}
		next := s.buf[s.pos+i : s.end]
		if len(next) >= 2 && (next[1] == '/' || next[1] == '?' || isNameStart(next[1])) ||
			len(next) >= 4 && bytes.HasPrefix(next, []byte("<!--")) {
			raw := s.buf[s.pos : s.pos+i]
			s.pos += i
			if cdata {
				s.value = append(s.value, raw...)
				raw = s.value
			}
			raw = trimSpace(raw)
			if s.raw {
				return raw, nil
			}
			return s.text.decode(raw), nil
		}
		if bytes.HasPrefix(next, []byte("<![CDATA[")) {
			end, err := s.indexFrom(i+9, []byte("]]>"))
			if err != nil {
				return nil, err
			}
			if end < 0 {
				return nil, s.cutShortIn("a CDATA section")
			}
			if !cdata {
				s.value = s.value[:0]
				cdata = true
			}
			consumed += end + 3
			if consumed > s.opts.MaxTokenBytes {
				return nil, s.tooLong()
			}
			s.value = append(s.value, s.buf[s.pos:s.pos+i]...)
			for _, c := range s.buf[s.pos+i+9 : s.pos+end] {
				if c == '&' {
					s.value = append(s.value, "&amp;"...)
				} else {
					s.value = append(s.value, c)
				}
			}
			s.pos += end + 3
			from = 0
			continue
		}
		from = i + 1
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 {
		c := b[len(b)-1]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}

// skipMarkup skips a comment, a CDATA section outside a value, a declaration
// or a processing instruction at s.pos.
func (s *scanner) skipMarkup() error {
	if err := s.ensure(9); err != nil {
		return err
	}
	rest := s.buf[s.pos:s.end]
	var closer []byte
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		closer = []byte("-->")
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		closer = []byte("]]>")
	case rest[1] == '?':
		closer = []byte("?>")
	default:
		closer = []byte(">")
	}
	i, err := s.indexFrom(2, closer)
	if err != nil {
		return err
	}
	if i < 0 {
		return s.cutShortIn("a comment or declaration")
	}
	s.pos += i + len(closer)
	return nil
}

func (s *scanner) push(h elementHandler, name aggrName, known bool) error {
	if list, ok := s.items[name.s]; ok && known {
		if err := s.closeOpenSibling(h, list); err != nil {
			return err
		}
	}
	if parents, ok := s.owners[name.s]; ok && known {
		if err := s.closeAboveOwner(h, parents); err != nil {
			return err
		}
	}
	if len(s.stack) >= s.opts.MaxDepth {
		return s.errorf(s.pos, "elements nested deeper than %d; refused", s.opts.MaxDepth)
	}
	s.stack = append(s.stack, frame{name: name.s, bname: name.b, known: known})
	if known {
		return h.open(name.b)
	}
	return nil
}

// maxSiblingSearch bounds how far down the stack an opening list item looks
// for an open sibling, so that hostile nesting cannot make each open costly.
const maxSiblingSearch = 32

// closeOpenSibling ends an item of list whose end tag was left out when the
// next item of the same list opens: <STMTTRN> after a STMTTRN still open is
// its sibling, not its child, and <SELLMF> after an open BUYSTOCK likewise.
func (s *scanner) closeOpenSibling(h elementHandler, list string) error {
	for k := len(s.stack) - 1; k >= 0 && k >= len(s.stack)-maxSiblingSearch; k-- {
		f := s.stack[k]
		if f.name == list {
			return nil
		}
		if f.known && s.items[f.name] == list {
			return s.closeElement(h, f.bname)
		}
	}
	return nil
}

// closeAboveOwner ends whatever is open above the nearest open element of
// parents.
func (s *scanner) closeAboveOwner(h elementHandler, parents []string) error {
	for k := len(s.stack) - 1; k >= 0 && k >= len(s.stack)-maxSiblingSearch; k-- {
		f := s.stack[k]
		if !f.known || !slices.Contains(parents, f.name) {
			continue
		}
		if k+1 < len(s.stack) {
			return s.closeElement(h, s.stack[k+1].bname)
		}
		return nil
	}
	return nil
}

// closeElement handles an end tag: it closes the matching open element and
// every element left open inside it. An end tag that matches nothing open (a
// closed leaf, a stray tag) is ignored.
func (s *scanner) closeElement(h elementHandler, name []byte) error {
	k := len(s.stack) - 1
	for k >= 0 && s.stack[k].name != string(name) {
		k--
	}
	if k < 0 {
		return nil
	}
	for j := len(s.stack) - 1; j >= k; j-- {
		f := s.stack[j]
		s.stack = s.stack[:j]
		if f.known {
			if err := h.close(f.bname); err != nil {
				return err
			}
		}
	}
	if k == 0 {
		s.closedOFX = true
	}
	return nil
}

// cutShort reports the end of the input before </OFX>.
func (s *scanner) cutShort() error { return s.cutShortIn("") }

// cutShortIn reports the end of the input inside what (a value, a tag, a
// comment), naming the innermost element open there.
func (s *scanner) cutShortIn(what string) error {
	open := "OFX"
	if n := len(s.stack); n > 0 {
		open = s.stack[n-1].name
		for j := n - 1; j >= 0; j-- {
			if s.stack[j].known {
				open = s.stack[j].name
				break
			}
		}
	}
	where := "<" + open + ">"
	switch {
	case what != "" && len(s.stack) == 0:
		where = what
	case what != "":
		where = what + " in " + where
	}
	return s.errorf(s.end, "file cut short: it ends inside %s before </OFX>; nothing of it is used", where)
}
