package tomlpos

import "testing"

func TestLines(t *testing.T) {
	data := []byte(`# rules
[[rule]]
id = "a"
reply = "x"

[[rule.choice]]
id = "sales"
label = "choice_sales"

[[rule.choice]]
id = "support"

[[rule]]
id = "b"
reply = "y"
[[rule.choice]]
label = "z"

[hours]
timezone = "UTC"
`)
	l := Scan(data, "[[rule]]")
	for _, c := range []struct {
		table int
		key   string
		want  int
	}{
		{0, "id", 3},
		{0, "reply", 4},
		{0, "choice.0", 6},
		{0, "choice.0.id", 7},
		{0, "choice.0.label", 8},
		{0, "choice.1.id", 11},
		{0, "choice.1.label", 10}, // missing: the choice's header
		{0, "forward", 2},         // missing: the rule's header
		{1, "id", 14},
		{1, "choice.0.label", 17},
		{1, "choice.1.label", 13}, // no such choice: the rule's header
		{2, "id", 0},
	} {
		if got := l.In(c.table, c.key); got != c.want {
			t.Errorf("In(%d, %q) = %d, want %d", c.table, c.key, got, c.want)
		}
	}
	if got := l.First("hours.timezone", "timezone"); got != 20 {
		t.Errorf("First(hours.timezone) = %d, want 20", got)
	}
}

func TestFirstFindsANestedKey(t *testing.T) {
	l := Scan([]byte("[[rule]]\nid = \"a\"\n[[rule.choice]]\nid = \"b\"\nlabl = \"c\"\n"), "[[rule]]")
	if got := l.First("rule.choice.labl", "labl"); got != 5 {
		t.Errorf("First(labl) = %d, want 5", got)
	}
}
