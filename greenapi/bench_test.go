package greenapi_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// BenchmarkParseNotification parses one shared example of each kind of
// notification (typeWebhook, and typeMessage for messages).
//
//	go test -run '^$' -bench ParseNotification -benchmem ./greenapi
func BenchmarkParseNotification(b *testing.B) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		b.Fatal(err)
	}
	// Prefer the current documentation's example of a kind over 2023's.
	sort.Slice(files, func(i, j int) bool {
		ci, cj := filepath.Base(files[i])[0] == 'c', filepath.Base(files[j])[0] == 'c'
		if ci != cj {
			return ci
		}
		return files[i] < files[j]
	})
	kinds := map[string][]byte{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		n, err := greenapi.ParseNotification(body)
		if err != nil {
			continue // a request or response body, not a notification
		}
		kind := n.Head().TypeWebhook
		if m, ok := greenapi.MessageOf(n); ok {
			kind += "/" + m.MessageData.Type
		}
		if _, unknown := n.(*greenapi.UnknownNotification); unknown {
			continue
		}
		if _, seen := kinds[kind]; !seen {
			kinds[kind] = body
		}
	}
	if len(kinds) < 20 {
		b.Fatalf("only %d kinds of notification in testdata", len(kinds))
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		body := kinds[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := greenapi.ParseNotification(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
