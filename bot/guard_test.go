package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// TestOneFailingMethodIsNotADownInstance: only sendMessage fails (500 for
// 1 s) while the instance answers its probe. Calls must not pause, and the
// logs must not flip between pausing and resuming (they did, about every
// 100 ms, before the guard probed).
func TestOneFailingMethodIsNotADownInstance(t *testing.T) {
	t.Parallel()
	metrics := &recMetrics{}
	s := newSystem(t, time.Second, func(st *setup) { st.metrics = metrics })
	s.srv.FailRandomly(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500})
	const contacts = 20
	for i := range contacts {
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: chatN(i), Text: "hi"})
	}
	s.deliver(t)
	time.Sleep(time.Second)
	s.srv.FailRandomly(greenapi.MethodSendMessage, 0)
	s.drain(t, 10*time.Second)

	logs := s.logs.String()
	pauses, resumes := strings.Count(logs, "pausing calls"), strings.Count(logs, "resuming calls")
	failing := strings.Count(logs, "keeps failing while the instance answers")
	t.Logf("RELIABILITY one method failing: %d sendMessage calls failed in 1 s, %d probes, %d pause and %d resume lines, %d 'keep failing' line",
		len(s.srv.Calls(greenapi.MethodSendMessage)), len(s.srv.Calls(greenapi.MethodGetStateInstance)), pauses, resumes, failing)
	if pauses != 0 || resumes != 0 || containsString(metrics.list(), "paused") {
		t.Errorf("calls paused (%d pause and %d resume lines, metrics %v) while only sendMessage failed", pauses, resumes, metrics.list())
	}
	if failing != 1 {
		t.Errorf("%d lines say a method keeps failing; want 1 (one probe per CheckEvery)", failing)
	}
	if probes := len(s.srv.Calls(greenapi.MethodGetStateInstance)); probes != 1 {
		t.Errorf("%d probes; want 1", probes)
	}
	for i := range contacts {
		if n := len(s.srv.Sent(chatN(i))); n != 1 {
			t.Errorf("%s greeted %d times", chatN(i), n)
		}
	}
}
