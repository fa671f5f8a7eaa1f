package bot

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// A business owner writes the locale files and the rules file: their
// mistakes are said here in their terms (the fields they may use, the
// message ids they may mean), not in text/template's.

// fieldsOf lists the fields a template may use on a value of type t.
func fieldsOf(t reflect.Type) []string {
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, t.Field(i).Name)
	}
	return out
}

var (
	templateFields = fieldsOf(reflect.TypeFor[TemplateData]())
	productFields  = fieldsOf(reflect.TypeFor[ProductData]())

	reUnknownField = regexp.MustCompile(`can't evaluate field (\w+) in type bot\.(\w+)`)
	reNoFunction   = regexp.MustCompile(`function "(\w+)" not defined`)
	reBadCharacter = regexp.MustCompile(`bad character U\+[0-9A-F]+ '(.+)'`)
	reUnexpected   = regexp.MustCompile(`unexpected ("[^"]*"|\S+) in (?:command|operand)`)
	rePosition     = regexp.MustCompile(`^template: :\d+(:\d+)?: (executing "" at <[^>]*>: )?`)
)

// explainTemplate says what is wrong with a message's template in the
// words of someone who writes messages.
func explainTemplate(err error) error {
	msg := err.Error()
	switch {
	case reUnknownField.MatchString(msg):
		m := reUnknownField.FindStringSubmatch(msg)
		fields, of := templateFields, ""
		if m[2] == "ProductData" {
			fields, of = productFields, " of a product"
		}
		return fmt.Errorf("unknown field %s%s; the fields are %s%s", m[1], of, strings.Join(fields, ", "), didYouMean(m[1], fields, "."))
	case reNoFunction.MatchString(msg):
		word := reNoFunction.FindStringSubmatch(msg)[1]
		if slices.Contains(templateFields, word) {
			return fmt.Errorf("{{%s}}: write {{.%s}}: a field is written with a dot", word, word)
		}
		return fmt.Errorf("{{%s}}: %s is not a field; a field is written with a dot, e.g. {{.Name}}; the fields are %s%s",
			word, word, strings.Join(templateFields, ", "), didYouMean(word, templateFields, "."))
	case strings.Contains(msg, "unclosed action"):
		return fmt.Errorf("a {{ is not closed: write }} after the field, e.g. {{.Name}}")
	case reBadCharacter.MatchString(msg) || reUnexpected.MatchString(msg):
		m := reBadCharacter.FindStringSubmatch(msg)
		if m == nil {
			m = reUnexpected.FindStringSubmatch(msg)
		}
		return fmt.Errorf("%q after {{ is not a field; a field is written {{.Name}} (the fields are %s)",
			strings.Trim(m[1], `"`), strings.Join(templateFields, ", "))
	case strings.Contains(msg, "unexpected EOF"):
		return fmt.Errorf("an {{if}}, {{range}} or {{with}} is not closed with {{end}}")
	case strings.Contains(msg, "unexpected {{end}}"):
		return fmt.Errorf("an {{end}} closes nothing: remove it, or open an {{if}}, {{range}} or {{with}} before it")
	}
	return fmt.Errorf("%s", rePosition.ReplaceAllString(msg, ""))
}

// didYouMean returns ", did you mean <prefix>X?" for the candidate closest
// to word, when one is close enough to be a typo; else "".
func didYouMean(word string, candidates []string, prefix string) string {
	best, bestD := "", len(word)/2+1 // at most a third of a long word's letters
	if bestD > 3 {
		bestD = 3
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestD || (d == bestD && best == "" && d <= 2) {
			best, bestD = c, d
		}
	}
	if best == "" || best == word {
		return ""
	}
	return fmt.Sprintf("; did you mean %s%s?", prefix, best)
}

// editDistance is the Levenshtein distance of a and b, by runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// MessageIDs returns the message ids the rules use: replies, menu labels
// and answers, and the away reply.
func (rs Rules) MessageIDs() map[string]bool {
	ids := make(map[string]bool)
	for _, r := range rs.List {
		if r.Reply != "" {
			ids[r.Reply] = true
		}
		for _, c := range r.Choices {
			for _, id := range []string{c.Label, c.Reply} {
				if id != "" {
					ids[id] = true
				}
			}
		}
	}
	if rs.Hours != nil && rs.Hours.AwayReply != "" {
		ids[rs.Hours.AwayReply] = true
	}
	for _, r := range rs.List {
		if r.Reminders.HoldMessage != "" {
			ids[r.Reminders.HoldMessage] = true
		}
	}
	return ids
}

// used reports whether id is a built-in message's or in used.
func (c *Catalog) used(id string, used map[string]bool) bool { return c.builtin[id] != nil || used[id] }

// UnusedMessages reports each message of a locale file of the business's
// own (LOCALES_DIR; the shipped files hold examples) whose id no rule of
// rulesets and no built-in message uses: a typo in an id means the message
// it meant to change is not changed. Each names the file and line, and the
// id it may have meant.
func (c *Catalog) UnusedMessages(rulesets ...Rules) []error {
	used := make(map[string]bool)
	for _, rs := range rulesets {
		for id := range rs.MessageIDs() {
			used[id] = true
		}
	}
	known := make([]string, 0, len(c.builtin)+len(used))
	for id := range c.builtin {
		known = append(known, id)
	}
	for id := range used {
		known = append(known, id)
	}
	sort.Strings(known)
	var problems []error
	for _, f := range c.files {
		if f.embedded {
			continue
		}
		ids := make([]string, 0, len(f.lines))
		for id := range f.lines {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return f.lines[ids[i]] < f.lines[ids[j]] })
		for _, id := range ids {
			if !c.used(id, used) {
				problems = append(problems, fmt.Errorf("%s:%d: %s: no rule or built-in message uses this id%s",
					f.path, f.lines[id], id, didYouMean(id, known, "")))
			}
		}
	}
	return problems
}

// MissingUsed is Missing for the messages that a built-in or rulesets use:
// an unused id of the default locale (a typo) is blamed on its own file by
// UnusedMessages, not on every other locale.
func (c *Catalog) MissingUsed(rulesets ...Rules) map[string][]string {
	used := make(map[string]bool)
	for _, rs := range rulesets {
		for id := range rs.MessageIDs() {
			used[id] = true
		}
	}
	out := make(map[string][]string)
	for locale, ids := range c.Missing() {
		for _, id := range ids {
			if c.used(id, used) {
				out[locale] = append(out[locale], id)
			}
		}
	}
	return out
}
