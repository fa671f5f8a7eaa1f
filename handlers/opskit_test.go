package handlers_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// exported returns the names of every metric /metrics serves once each
// has a series.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := handlers.NewMetrics()
	inst := handlers.NewInstance("1101000001")
	inst.Set("authorized", nil)
	set := handlers.NewInstances()
	set.Set([]handlers.InstanceEntry{{Instance: inst}})
	m.Watch(set)
	m.Accepted("1101000001", "incomingMessageReceived", queue.Stored)
	m.QuotaExceeded("1101000001")
	inst.QuotaSpent(time.Now())
	m.Rejected("unauthorized")
	m.Processed("incomingMessageReceived", time.Millisecond, nil)
	m.Processed("incomingMessageReceived", time.Millisecond, errors.New("x"))
	m.InboxDepth(1)
	m.ObserveAPI("sendMessage", 200, time.Millisecond)
	m.Of(inst).FirstContact("r", "t", "en")
	m.LookupFailed("timeout")
	m.MessageSent("reply")
	m.GaveUp("rejected")
	m.Conversation("opted_out")
	m.EventAttempt("dead")
	m.EventsWaiting(1, 1)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	names := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(rest, " ")
			names[name] = true
			if kind == "histogram" {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					names[name+s] = true
				}
			}
		}
	}
	return names
}

// TestOpsKitNamesOnlyExportedMetrics: every frontdesk_ metric the alert
// rules and the Grafana dashboard read is one /metrics serves.
func TestOpsKitNamesOnlyExportedMetrics(t *testing.T) {
	t.Parallel()
	names := exported(t)
	if !names["frontdesk_instance_authorized"] || !names["frontdesk_greenapi_paused"] {
		t.Fatalf("the instance gauges are missing from /metrics: %v", names)
	}
	metric := regexp.MustCompile(`\bfrontdesk_[a-z_]+\b`)
	for _, file := range []string{"prometheus/frontdesk-alerts.yaml", "grafana/frontdesk.json"} {
		data, err := os.ReadFile(filepath.Join("..", "deploy", file))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".json") && !json.Valid(data) {
			t.Errorf("deploy/%s is not valid JSON", file)
		}
		used := 0
		for _, name := range metric.FindAllString(string(data), -1) {
			used++
			if !names[name] {
				t.Errorf("deploy/%s reads %s, which /metrics does not serve", file, name)
			}
		}
		if used == 0 {
			t.Errorf("deploy/%s reads no frontdesk_ metric", file)
		}
	}
}
