package greenapitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// fixture reads one of Green API's documented request bodies into v.
func fixture(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestSendPollAndButtonsAsDocumented: the documented request bodies are
// accepted, recorded, kept in the chat's history (where the settling of an
// unknown outcome finds them) and echoed; a vote and a tap built by the
// helpers parse as the poll's and the buttons' answers.
func TestSendPollAndButtonsAsDocumented(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	c := client(t, srv)
	ctx := context.Background()
	var poll greenapi.SendPollParams
	fixture(t, "current_sendPoll_request.json", &poll)
	pollID, err := c.SendPoll(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	var buttons greenapi.SendButtonsParams
	fixture(t, "current_sendInteractiveButtonsReply_request.json", &buttons)
	buttonsID, err := c.SendButtons(ctx, buttons)
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) != 2 || sent[0].IDMessage != pollID || len(sent[0].Poll) != 2 || sent[0].Message != "Please choose the color:" ||
		sent[1].IDMessage != buttonsID || len(sent[1].Buttons) != 3 || sent[1].Buttons[2] != "Third Button" {
		t.Fatalf("sent %+v", sent)
	}
	h, err := c.GetChatHistory(ctx, poll.ChatID, 10)
	if err != nil || len(h) != 1 || h[0].TypeMessage != "pollMessage" || h[0].PollMessageData == nil || h[0].PollMessageData.Name != poll.Message {
		t.Fatalf("poll's history %+v, %v", h, err)
	}
	h, err = c.GetChatHistory(ctx, buttons.ChatID, 10)
	if err != nil || len(h) != 1 || h[0].InteractiveButtons == nil || h[0].InteractiveButtons.ContentText != "Body" {
		t.Fatalf("buttons' history %+v, %v", h, err)
	}
	_, body := srv.NewIncoming(greenapitest.Vote(sent[0], 1))
	n, err := greenapi.ParseNotification(body)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := greenapi.MessageOf(n)
	vote, ok := msg.MessageData.Message.(*greenapi.PollUpdateMessage)
	if !ok || vote.StanzaID != pollID || len(vote.Votes[1].OptionVoters) != 1 || len(vote.Votes[0].OptionVoters) != 0 {
		t.Fatalf("vote %+v", msg.MessageData.Message)
	}
	for _, shape := range greenapitest.ButtonShapes {
		_, body := srv.NewIncoming(greenapitest.Tap(sent[1], shape, 2))
		n, err := greenapi.ParseNotification(body)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := greenapi.MessageOf(n)
		tap, ok := msg.MessageData.Message.(*greenapi.TemplateButtonsReplyMessage)
		if !ok || tap.Type != shape || tap.StanzaID != buttonsID || tap.SelectedID != "3" || tap.SelectedIndex != 2 || tap.SelectedDisplayText != "Third Button" {
			t.Fatalf("%s: tap %+v", shape, msg.MessageData.Message)
		}
	}
}

// TestPollAndButtonsLimits: the client refuses, without a call, what
// breaks the documented limits; the fake refuses it too; RefuseInteractive
// refuses both methods for good.
func TestPollAndButtonsLimits(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	c := client(t, srv)
	ctx := context.Background()
	opts := func(names ...string) (out []greenapi.PollOptionName) {
		for _, n := range names {
			out = append(out, greenapi.PollOptionName{OptionName: n})
		}
		return out
	}
	long := string(make([]rune, 26))
	for name, call := range map[string]func() error{
		"one option": func() error {
			_, err := c.SendPoll(ctx, greenapi.SendPollParams{ChatID: "1@c.us", Message: "?", Options: opts("a")})
			return err
		},
		"the same option twice": func() error {
			_, err := c.SendPoll(ctx, greenapi.SendPollParams{ChatID: "1@c.us", Message: "?", Options: opts("a", "a")})
			return err
		},
		"four buttons": func() error {
			_, err := c.SendButtons(ctx, greenapi.SendButtonsParams{ChatID: "1@c.us", Body: "?", Buttons: make([]greenapi.Button, 4)})
			return err
		},
		"a button of 26 characters": func() error {
			_, err := c.SendButtons(ctx, greenapi.SendButtonsParams{ChatID: "1@c.us", Body: "?", Buttons: []greenapi.Button{{ButtonID: "1", ButtonText: long}}})
			return err
		},
	} {
		if err := call(); !errors.Is(err, greenapi.ErrMessageTooLong) {
			t.Errorf("%s: %v; want ErrMessageTooLong", name, err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls; want none", n)
	}
	srv.RefuseInteractive(404)
	_, err := c.SendPoll(ctx, greenapi.SendPollParams{ChatID: "1@c.us", Message: "?", Options: opts("a", "b")})
	if greenapi.KindOf(err) != greenapi.ContactRefused {
		t.Errorf("refused poll: %v (%s); want a refusal for good", err, greenapi.KindOf(err))
	}
	_, err = c.SendButtons(ctx, greenapi.SendButtonsParams{ChatID: "1@c.us", Body: "?", Buttons: []greenapi.Button{{ButtonID: "1", ButtonText: "a"}}})
	if greenapi.KindOf(err) != greenapi.ContactRefused {
		t.Errorf("refused buttons: %v (%s); want a refusal for good", err, greenapi.KindOf(err))
	}
	srv.RefuseInteractive(0)
	if _, err := c.SendPoll(ctx, greenapi.SendPollParams{ChatID: "1@c.us", Message: "?", Options: opts("a", "b")}); err != nil {
		t.Errorf("served again: %v", err)
	}
}
