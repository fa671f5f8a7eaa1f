// Package greenapi is the only place in Frontdesk that knows Green API's wire
// format: its webhook notifications, its HTTP methods and its errors.
package greenapi

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Webhook types, as Green API spells them in typeWebhook.
const (
	TypeIncomingMessageReceived    = "incomingMessageReceived"
	TypeOutgoingMessageReceived    = "outgoingMessageReceived"
	TypeOutgoingAPIMessageReceived = "outgoingAPIMessageReceived"
	TypeOutgoingMessageStatus      = "outgoingMessageStatus"
	TypeStateInstanceChanged       = "stateInstanceChanged"
	TypeStatusInstanceChanged      = "statusInstanceChanged"
	TypeDeviceInfo                 = "deviceInfo"
	TypeIncomingCall               = "incomingCall"
	TypeIncomingBlock              = "incomingBlock"
	TypeQuotaExceeded              = "quotaExceeded"
)

// ErrInvalidNotification is returned by ParseNotification for a body that is
// not a notification Frontdesk can act on (not JSON, no typeWebhook, or a
// message notification without its chat or message id).
var ErrInvalidNotification = errors.New("invalid notification")

// Notification is one webhook body, parsed into its concrete type.
type Notification interface {
	// Head returns the fields every notification carries.
	Head() Header
}

// Header holds the fields common to every notification.
type Header struct {
	TypeWebhook  string       `json:"typeWebhook"`
	InstanceData InstanceData `json:"instanceData"`
	Timestamp    int64        `json:"timestamp"`
}

// Head returns h itself, so that every notification embedding Header
// satisfies Notification.
func (h Header) Head() Header { return h }

// InstanceData identifies the instance (WhatsApp account) a notification is for.
type InstanceData struct {
	IDInstance   int64  `json:"idInstance"`
	Wid          string `json:"wid"`
	TypeInstance string `json:"typeInstance"`
}

// SenderData names the chat and the author of a message.
type SenderData struct {
	ChatID            string `json:"chatId"`
	ChatName          string `json:"chatName"`
	Sender            string `json:"sender"`
	SenderName        string `json:"senderName"`
	SenderContactName string `json:"senderContactName"`
	// SenderPhoneNumber is the author's phone number where Green API gives
	// it: the one way to know the number behind an `…@lid` chat. Read it
	// through Phone.
	SenderPhoneNumber PhoneNumber `json:"senderPhoneNumber,omitempty"`
}

// MessageNotification is the shape shared by the three message notifications.
type MessageNotification struct {
	Header
	IDMessage   string      `json:"idMessage"`
	SenderData  SenderData  `json:"senderData"`
	MessageData MessageData `json:"messageData"`
}

// Message returns the notification itself; it lets callers treat the three
// message notifications alike.
func (m *MessageNotification) Message() *MessageNotification { return m }

// IncomingMessageReceived is a message someone wrote to the account.
type IncomingMessageReceived struct{ MessageNotification }

// OutgoingMessageReceived is a message the account wrote from the phone.
type OutgoingMessageReceived struct{ MessageNotification }

// OutgoingAPIMessageReceived is a message the account sent through the API,
// that is, by Frontdesk itself: it must never be answered.
type OutgoingAPIMessageReceived struct{ MessageNotification }

// OutgoingMessageStatus reports the delivery status of a sent message.
type OutgoingMessageStatus struct {
	Header
	ChatID    string `json:"chatId"`
	IDMessage string `json:"idMessage"`
	// Status is one of sent, delivered, read, failed, noAccount, notInGroup, yellowCard.
	Status    string `json:"status"`
	SendByAPI bool   `json:"sendByApi"`
}

// StateInstanceChanged reports the authorization state of the instance:
// notAuthorized, authorized, blocked, sleepMode, starting, yellowCard.
type StateInstanceChanged struct {
	Header
	StateInstance string `json:"stateInstance"`
}

// StatusInstanceChanged reports the (deprecated) socket status of the instance.
type StatusInstanceChanged struct {
	Header
	StatusInstance string `json:"statusInstance"`
}

// DeviceInfo describes the phone the account runs on.
type DeviceInfo struct {
	Header
	DeviceData struct {
		Platform           string `json:"platform"`
		DeviceManufacturer string `json:"deviceManufacturer"`
		DeviceModel        string `json:"deviceModel"`
		OSVersion          string `json:"osVersion"`
		WAVersion          string `json:"waVersion"`
		Battery            int    `json:"battery"`
	} `json:"deviceData"`
}

// IncomingCall reports a call to the account.
type IncomingCall struct {
	Header
	From      string `json:"from"`
	Status    string `json:"status"`
	IDMessage string `json:"idMessage"`
}

// IncomingBlock reports that a chat blocked the account.
type IncomingBlock struct {
	Header
	ChatID    string `json:"chatId"`
	ChatState string `json:"chatState"`
}

// QuotaExceeded reports that the instance's monthly quota is spent.
type QuotaExceeded struct {
	Header
	QuotaData Quota `json:"quotaData"`
}

// UnknownNotification is a notification whose typeWebhook this package does
// not know. It keeps the raw body so that nothing is lost.
type UnknownNotification struct {
	Header
	Raw json.RawMessage
}

// notificationTypes is the single registry of notification types: every
// typeWebhook Frontdesk knows and the concrete type it parses into.
var notificationTypes = map[string]func() Notification{
	TypeIncomingMessageReceived:    func() Notification { return new(IncomingMessageReceived) },
	TypeOutgoingMessageReceived:    func() Notification { return new(OutgoingMessageReceived) },
	TypeOutgoingAPIMessageReceived: func() Notification { return new(OutgoingAPIMessageReceived) },
	TypeOutgoingMessageStatus:      func() Notification { return new(OutgoingMessageStatus) },
	TypeStateInstanceChanged:       func() Notification { return new(StateInstanceChanged) },
	TypeStatusInstanceChanged:      func() Notification { return new(StatusInstanceChanged) },
	TypeDeviceInfo:                 func() Notification { return new(DeviceInfo) },
	TypeIncomingCall:               func() Notification { return new(IncomingCall) },
	TypeIncomingBlock:              func() Notification { return new(IncomingBlock) },
	TypeQuotaExceeded:              func() Notification { return new(QuotaExceeded) },
}

// NotificationTypes lists every typeWebhook that ParseNotification knows.
func NotificationTypes() []string {
	types := make([]string, 0, len(notificationTypes))
	for t := range notificationTypes {
		types = append(types, t)
	}
	return types
}

// ParseNotification parses a webhook body into its concrete type: one of the
// pointer types above, or *UnknownNotification for a typeWebhook this package
// does not know. Errors wrap ErrInvalidNotification.
func ParseNotification(body []byte) (Notification, error) {
	var env Header
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidNotification, err)
	}
	if env.TypeWebhook == "" {
		return nil, fmt.Errorf("%w: no typeWebhook", ErrInvalidNotification)
	}
	newNotification, ok := notificationTypes[env.TypeWebhook]
	if !ok {
		return &UnknownNotification{Header: env, Raw: append(json.RawMessage(nil), body...)}, nil
	}
	n := newNotification()
	if err := json.Unmarshal(body, n); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidNotification, env.TypeWebhook, err)
	}
	if m, ok := n.(interface{ Message() *MessageNotification }); ok {
		msg := m.Message()
		if msg.SenderData.ChatID == "" || msg.IDMessage == "" {
			return nil, fmt.Errorf("%w: %s without senderData.chatId or idMessage", ErrInvalidNotification, env.TypeWebhook)
		}
	}
	return n, nil
}

// MessageOf returns the message part of an incoming, outgoing or outgoing-API
// message notification, and false for any other notification.
func MessageOf(n Notification) (*MessageNotification, bool) {
	m, ok := n.(interface{ Message() *MessageNotification })
	if !ok {
		return nil, false
	}
	return m.Message(), true
}
