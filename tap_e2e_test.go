package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// TestEndToEndKilledMidPollMenu (#26): frontdesk is killed (SIGKILL) while
// Green API holds its answer to the menu's poll, which went out; or, after
// the vote, to the choice's answer, which went out. After the restart on
// the same database the chat's history settles each: the poll, the answer
// and the summary go out once each.
func TestEndToEndKilledMidPollMenu(t *testing.T) {
	t.Parallel()
	rules := strings.Replace(e2eMenuRules, "forward = true\n", "forward = true\nmenu_style = \"poll\"\n", 1)
	for _, held := range []string{greenapi.MethodSendPoll, greenapi.MethodSendMessage} {
		t.Run("killed while "+held+" is answered", func(t *testing.T) {
			t.Parallel()
			fake := greenapitest.New(t)
			const chat = "12125550124@c.us"
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "rules.toml"), rules)
			extra := []string{"HUMAN_PAUSE=0", "RULES_FILE=" + filepath.Join(dir, "rules.toml")}
			port, db := freePort(t), filepath.Join(dir, "fd.db")
			p := start(t, fake, port, db, extra...)
			fake.DeliverWebhooks(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
			if held == greenapi.MethodSendPoll {
				fake.SetAnswerDelay(greenapi.MethodSendPoll, time.Hour)
			}
			fake.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
			sent := fake.WaitSent(chat, 2, 10*time.Second) // the greeting, the poll
			if len(sent) != 2 || sent[1].Poll == nil {
				t.Fatalf("sent %+v; want the greeting and the poll", sent)
			}
			poll := sent[1]
			if held == greenapi.MethodSendMessage {
				waitFor(t, "the menu to wait", 10*time.Second, func() bool {
					return count(t, db, `SELECT count(*) FROM first_contacts WHERE step = 'choosing'`) == 1
				})
				fake.SetAnswerDelay(greenapi.MethodSendMessage, time.Hour)
				vote := greenapitest.Vote(poll, 1)
				vote.SenderName = "Bo"
				fake.PushIncoming(vote)
				if got := fake.WaitSent(chat, 3, 10*time.Second); len(got) != 3 {
					t.Fatalf("sent %d; want the answer to go out before the kill", len(got))
				}
			}
			p.kill()
			fake.SetAnswerDelay(held, 0)
			start(t, fake, port, db, extra...)
			if held == greenapi.MethodSendPoll {
				vote := greenapitest.Vote(poll, 1)
				vote.SenderName = "Bo"
				fake.PushIncoming(vote)
			}
			// Only the vote, handled after the retry of what the kill cut,
			// sends the summary.
			if summaries := fake.WaitSent(e2eOperatorChat, 1, 20*time.Second); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Chosen: Support") {
				t.Fatalf("summaries %+v; want one saying Support", summaries)
			}
			got := fake.Sent(chat)
			polls := 0
			for _, m := range got {
				if m.Poll != nil {
					polls++
				}
			}
			if len(got) != 3 || polls != 1 || !strings.HasPrefix(got[2].Message, "Thank you! Our support team") {
				t.Errorf("the chat got %+v; want the greeting, one poll, one answer", got)
			}
			if n := len(fake.Calls(greenapi.MethodGetChatHistory)); n == 0 {
				t.Error("the history was not read after the restart")
			}
		})
	}
}
