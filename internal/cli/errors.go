package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
)

const errorsLong = `Errors explains why a sync fails. Without an argument it lists every failure
class: its code (BF-301), its class (bank.maintenance), what happened,
whether it clears by itself, and the codes other programs show for the same
failure. With a code it prints that failure's card in full: what happened,
whether your data is at risk (it never is), what to do, how bankfeed
retries, how long it usually takes, and when to call the bank.

The code can be one of ours (BF-301), a class (bank.maintenance), or
another program's: QuickBooks (102, "Error 102", OL-301), OFX status codes
(15500), Plaid (ITEM_LOGIN_REQUIRED), SimpleFIN, GoCardless or HTTP (503).
Case, spaces and dashes do not matter. A code that means several things
prints every card it may be. docs/errors.md holds the same catalogue.`

func newErrorsCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "errors [CODE]",
		Short: "Explain a failure: every class, or one code (BF-301, 102, OL-301, 15500)",
		Long:  errorsLong,
		Example: `  bankfeed errors
  bankfeed errors 102
  bankfeed errors "QuickBooks Error 102"
  bankfeed errors --json BF-401`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cards := bankfeed.Catalog()
			// By code, so that each family is together, as in docs/errors.md.
			slices.SortFunc(cards, func(x, y bankfeed.ClassInfo) int { return strings.Compare(x.Code, y.Code) })
			q := strings.TrimSpace(strings.Join(args, " "))
			if q != "" {
				if cards = bankfeed.LookupClasses(q); len(cards) == 0 {
					return bankfeed.Errorf(bankfeed.ENotFound,
						"no failure class matches %q: bankfeed errors lists them all, with other programs' codes", q)
				}
			}
			out := bufio.NewWriter(e.stdout)
			switch {
			case asJSON:
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(cards); err != nil {
					return err
				}
			case q == "":
				if err := printCatalog(out, cards); err != nil {
					return err
				}
			default:
				printCards(out, q, cards)
			}
			return out.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the cards as a JSON array")
	return cmd
}

// printCatalog prints one line per class.
func printCatalog(w io.Writer, cards []bankfeed.ClassInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tCLASS\tWHAT HAPPENED\tFIXES ITSELF\tELSEWHERE")
	for _, c := range cards {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Code, c.Class, c.Title, yesNo(c.Transient), dash(mainEquivalents(c)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nbankfeed errors CODE explains one: BF-301, bank.maintenance, or another program's code (102, OL-301, 15500, ITEM_LOCKED).")
	return err
}

// mainEquivalents names a card's QuickBooks and OFX codes, else the codes
// of the first other system it lists, two of each at most: "QuickBooks
// 102, 105; OFX 2000", "QuickBooks 102, 9999, …; OFX 2000".
func mainEquivalents(c bankfeed.ClassInfo) string {
	var systems []string
	codes := map[string][]string{}
	for _, e := range c.Equivalents {
		if !slices.Contains(systems, e.System) {
			systems = append(systems, e.System)
		}
		codes[e.System] = append(codes[e.System], e.Code)
	}
	var main []string
	for _, s := range []string{"QuickBooks", "OFX"} {
		if len(codes[s]) > 0 {
			main = append(main, s)
		}
	}
	if len(main) == 0 && len(systems) > 0 {
		main = systems[:1]
	}
	var parts []string
	for _, s := range main {
		cs := codes[s]
		if len(cs) > 2 {
			cs = append(cs[:2:2], "…")
		}
		parts = append(parts, s+" "+strings.Join(cs, ", "))
	}
	return strings.Join(parts, "; ")
}

// cardWidth is the width the cards' paragraphs are wrapped to.
const cardWidth = 78

// printCards prints the cards q matched, in full.
func printCards(w io.Writer, q string, cards []bankfeed.ClassInfo) {
	if len(cards) > 1 {
		var codes []string
		for _, c := range cards {
			codes = append(codes, c.Code+" "+string(c.Class))
		}
		fmt.Fprintf(w, "%q may be any of %d failures, depending on what the bank said: %s.\n\n",
			q, len(cards), strings.Join(codes, ", "))
	}
	for i, c := range cards {
		if i > 0 {
			fmt.Fprintf(w, "\n%s\n\n", strings.Repeat("-", cardWidth))
		}
		printCard(w, c)
	}
}

// printCard prints one card in full.
func printCard(w io.Writer, c bankfeed.ClassInfo) {
	fmt.Fprintf(w, "%s  %s\n", c.Code, c.Title)
	retry := "yes"
	if c.Retry == bankfeed.RetryNever {
		retry = "no, it waits for you"
	}
	fmt.Fprintf(w, "class %s\n", c.Class)
	fmt.Fprintf(w, "fixes itself: %s; retried by itself: %s\n", yesNo(c.Transient), retry)
	fmt.Fprintf(w, "hits every login at this bank: %s; a problem with your login: %s\n", yesNo(c.BankSide), yesNo(c.NeedsUser))
	section(w, "What happened", c.Cause)
	section(w, "Is your data at risk? No.", c.DataRisk)
	fmt.Fprintln(w, "\nWhat to do")
	for i, s := range c.Steps {
		paragraph(w, fmt.Sprintf("  %d. ", i+1), s, "     ")
	}
	section(w, "Automatic retry", c.RetryWords)
	section(w, "Time to fix", c.TimeToFix)
	section(w, "When to call the bank or an expert", c.Escalate)
	if len(c.Equivalents) == 0 {
		section(w, "Other programs' codes", "none: no other system has a code of its own for this")
		return
	}
	fmt.Fprintln(w, "\nOther programs' codes for it")
	for _, e := range c.Equivalents {
		paragraph(w, "  ", e.System+" "+e.Code+": "+e.Meaning, "    ")
	}
}

// section prints a heading and its text, indented, as a sentence.
func section(w io.Writer, heading, text string) {
	fmt.Fprintf(w, "\n%s\n", heading)
	paragraph(w, "  ", sentence(text), "  ")
}

// paragraph prints text wrapped to cardWidth, its first line after first
// and the others after next.
func paragraph(w io.Writer, first, text, next string) {
	width := cardWidth - max(utf8.RuneCountInString(first), utf8.RuneCountInString(next))
	for i, line := range wrap(text, width) {
		if i == 0 {
			fmt.Fprintf(w, "%s%s\n", first, line)
		} else {
			fmt.Fprintf(w, "%s%s\n", next, line)
		}
	}
}

// sentence starts s with a capital and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// wrap splits text into lines of at most width runes, at spaces; a word
// longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
