// Package tomlpos finds the lines of the keys of a TOML file made of an
// array of tables ([[rule]], [[instance]]), for error messages that name
// the file, the line and the key: TOML parsers keep no positions for the
// keys they decode.
package tomlpos

import (
	"strconv"
	"strings"
)

// Lines maps the keys of each table of the array, and the keys outside
// it, to their lines (counted from 1).
type Lines struct {
	tables []map[string]int // table index: key: line
	start  []int            // table index: line of its header
	other  map[string]int   // keys outside the tables
}

// Scan reads data, whose array of tables has the header header (such as
// "[[rule]]"). A key's first line in a table counts. Keys of other tables
// ([hours]) are kept under their dotted names. An array nested in the
// array's tables ([[rule.choice]]) keeps its keys in its table under
// "choice.N.key", N counted from 0 in each table, and its header under
// "choice.N".
func Scan(data []byte, header string) Lines {
	l := Lines{other: make(map[string]int)}
	table := "" // another table than the array's ("hours" of [hours]): its keys are "hours.key"
	nested := strings.TrimSuffix(header, "]]") + "."
	prefix := "" // inside a nested array's table: "choice.N."
	var count map[string]int
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == header:
			l.tables = append(l.tables, make(map[string]int))
			l.start = append(l.start, i+1)
			table, prefix, count = "", "", make(map[string]int)
		case strings.HasPrefix(line, nested) && strings.HasSuffix(line, "]]") && len(l.tables) > 0:
			name := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, nested), "]]"))
			prefix = name + "." + strconv.Itoa(count[name])
			count[name]++
			l.tables[len(l.tables)-1][prefix] = i + 1
			prefix += "."
			table = ""
		case strings.HasPrefix(line, "[") && !strings.HasPrefix(line, "[["):
			table = strings.TrimSpace(strings.Trim(line, "[]"))
			l.other[table] = i + 1
		case strings.HasPrefix(line, "#") || line == "":
		default:
			key, _, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			key = strings.Trim(strings.TrimSpace(key), `"`)
			switch {
			case table != "":
				if _, dup := l.other[table+"."+key]; !dup {
					l.other[table+"."+key] = i + 1
				}
			case len(l.tables) == 0:
				l.other[key] = i + 1
			default:
				if _, dup := l.tables[len(l.tables)-1][prefix+key]; !dup {
					l.tables[len(l.tables)-1][prefix+key] = i + 1
				}
			}
		}
	}
	return l
}

// In returns the line of key in table i, else the table's header line
// (0 for a table the scan did not see). A key of a nested table
// ("choice.1.label") that is not there gives that table's header line.
func (l Lines) In(i int, key string) int {
	if i >= len(l.tables) {
		return 0
	}
	if n, ok := l.tables[i][key]; ok {
		return n
	}
	if dot := strings.LastIndexByte(key, '.'); dot > 0 {
		if n, ok := l.tables[i][key[:dot]]; ok {
			return n
		}
	}
	return l.start[i]
}

// First returns the first line where key appears, outside the array (as
// full, its dotted name, such as "hours.timezone") or in any of its tables
// or their nested tables; 0 if nowhere.
func (l Lines) First(full, key string) int {
	if n, ok := l.other[full]; ok {
		return n
	}
	for _, t := range l.tables {
		if n, ok := t[key]; ok {
			return n
		}
	}
	best := 0 // a key of a nested table: its first line
	for _, t := range l.tables {
		for k, n := range t {
			if strings.HasSuffix(k, "."+key) && (best == 0 || n < best) {
				best = n
			}
		}
	}
	return best
}
