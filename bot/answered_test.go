package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// TestOpenTimeBetween is issue #25's item 1: with [hours], closed time does
// not count: a message at 21:00 answered at 09:05 the next open day waited
// 5 minutes; across a closed weekend, and across the change to summer
// time, only the open minutes count.
func TestOpenTimeBetween(t *testing.T) {
	t.Parallel()
	h := hoursOf(t, officeHours+`saturday = ["10:00-13:00"]`+"\n")
	be := mustLoad(t, "Europe/Berlin")
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, be) }
	for _, tt := range []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"21:00 answered 09:05 the next day", at(2026, 12, 1, 21, 0), at(2026, 12, 2, 9, 5), 5 * time.Minute},
		{"within open hours", at(2026, 12, 1, 10, 0), at(2026, 12, 1, 10, 42), 42 * time.Minute},
		{"Friday 17:30 to Monday 09:10 (Saturday morning open)", at(2026, 12, 4, 17, 30), at(2026, 12, 7, 9, 10), 30*time.Minute + 3*time.Hour + 10*time.Minute},
		{"closed the whole time", at(2026, 12, 6, 8, 0), at(2026, 12, 6, 20, 0), 0},
		{"across the change to summer time", at(2027, 3, 27, 12, 0), at(2027, 3, 29, 9, 30), time.Hour + 30*time.Minute},
		{"seconds count", at(2026, 12, 1, 10, 0).Add(30 * time.Second), at(2026, 12, 1, 10, 2), 90 * time.Second},
	} {
		if got := h.OpenBetween(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
}

// TestAPersonsAnswerIsRecordedOnce is issue #25's item 1: the first message
// a person of the business writes in a customer's chat answers the first
// contact, and the time the customer waited is observed once; Frontdesk's
// own messages (the greeting's echo, outgoingAPIMessageReceived) never
// count; with answered_by = "phone", another program's API message does
// not either.
func TestAPersonsAnswerIsRecordedOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		answeredBy string
		want       string
	}{
		{"any person", "", "answered{named-contact,,api,"},
		{"the phone only", `answered_by = "phone"`, "answered{named-contact,,phone,"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			metrics := &recMetrics{}
			s := newSystem(t, time.Second, func(st *setup) { st.metrics, st.rules = metrics, tt.answeredBy+"\n"+bot.DefaultRules })
			const chat = "12125550150@c.us"
			s.srv.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "hi"})
			s.deliver(t) // the greeting goes out, and its echo comes back: not an answer
			s.drain(t, 10*time.Second)
			s.deliver(t)
			s.drain(t, 10*time.Second)
			if got := answers(metrics); len(got) != 0 {
				t.Fatalf("answered before anyone wrote: %v", got)
			}
			// A CRM where an operator answers writes through the API first,
			// then someone writes from the phone.
			s.srv.Push(fmt.Appendf(nil, `{"typeWebhook":"outgoingAPIMessageReceived","instanceData":{"idInstance":%s,"wid":%q,"typeInstance":"whatsapp"},`+
				`"timestamp":%d,"idMessage":"BAE5CRM000000001","senderData":{"chatId":%q,"sender":%q,"senderName":"CRM"},`+
				`"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"Hi Ana, Maria from the CRM"}}}`,
				greenapitest.DefaultIDInstance, greenapitest.AccountWid, time.Now().Unix(), chat, greenapitest.AccountWid))
			s.srv.PushOutgoing(chat, "How can I help?")
			s.deliver(t)
			s.drain(t, 10*time.Second)
			if got := answers(metrics); len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("answers observed %v; want one %s…", got, tt.want)
			}
			if !strings.Contains(s.logs.String(), "a person answered the first contact") {
				t.Errorf("no log line says a person answered")
			}
		})
	}
}

func answers(m *recMetrics) []string {
	var out []string
	for _, e := range m.list() {
		if strings.HasPrefix(e, "answered{") {
			out = append(out, e)
		}
	}
	return out
}

// TestAnsweredByIsChecked: a wrong answered_by is named with its line.
func TestAnsweredByIsChecked(t *testing.T) {
	t.Parallel()
	_, err := bot.ParseRules("rules.toml", []byte("# who answers\nanswered_by = \"robots\"\n\n"+bot.DefaultRules), mustCatalog(t))
	if err == nil || !strings.Contains(err.Error(), `rules.toml:2: answered_by: "robots": expected "any"`) {
		t.Errorf("error %v", err)
	}
}

// officeHours are a Berlin business's weekdays, 09:00 to 18:00.
const officeHours = `[hours]
timezone = "Europe/Berlin"
monday    = ["09:00-18:00"]
tuesday   = ["09:00-18:00"]
wednesday = ["09:00-18:00"]
thursday  = ["09:00-18:00"]
friday    = ["09:00-18:00"]
`
