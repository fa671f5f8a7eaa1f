package sandbox

import (
	"encoding/json"
	"strconv"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Persona is a customer as the page sets them up: what they write from and
// what Green API's getContactInfo says of them.
type Persona struct {
	Label       string    `json:"label"`
	Phone       string    `json:"phone"` // its country picks the language
	Name        string    `json:"name"`
	Business    bool      `json:"business"`
	Category    string    `json:"category"`
	Description string    `json:"description"`
	Products    []Product `json:"products"`
	Hello       string    `json:"hello"` // a first message to suggest
}

// Product is an item of a persona's catalogue.
type Product struct {
	Name   string `json:"name"`
	Price  string `json:"price"` // "" for none
	Hidden bool   `json:"hidden"`
}

// contactInfo is what getContactInfo answers for the persona.
func (p Persona) contactInfo(chat string) greenapi.ContactInfo {
	info := greenapi.ContactInfo{ChatID: chat, Name: p.Name, IsBusiness: p.Business, Products: []greenapi.Product{}}
	if p.Business {
		info.Category, info.Description = p.Category, p.Description
	}
	for i, prod := range p.Products {
		gp := greenapi.Product{ID: strconv.Itoa(i + 1), Name: prod.Name, IsHidden: prod.Hidden, Availability: "in stock"}
		if prod.Price != "" {
			n := json.Number(prod.Price)
			if _, err := n.Float64(); err == nil {
				gp.Price = &n
			}
		}
		info.Products = append(info.Products, gp)
	}
	return info
}

// Personas are the ready ones.
var Personas = []Persona{
	{Label: "Brazilian restaurant", Phone: "+55 11 98765-4321", Name: "Cantina da Ana", Business: true, Category: "Restaurante",
		Description: "Comida caseira em São Paulo", Hello: "Olá! Vocês fazem entregas?",
		Products: []Product{{Name: "Feijoada", Price: "45.00"}, {Name: "Moqueca", Price: "60.00"}, {Name: "Prato do chef", Hidden: true}}},
	{Label: "German car dealer", Phone: "+49 151 23456789", Name: "Autohaus Becker", Business: true, Category: "Autohändler",
		Description: "Neu- und Gebrauchtwagen in Köln", Hello: "Guten Tag, haben Sie Winterreifen?",
		Products: []Product{{Name: "Inspektion", Price: "189.00"}, {Name: "Reifenwechsel", Price: "49.00"}}},
	{Label: "Russian private person without a name", Phone: "+7 900 123-45-67", Hello: "Здравствуйте, сколько стоит доставка?"},
	{Label: "Israeli number", Phone: "+972 50 123 4567", Name: "Noa", Hello: "שלום, אתם פתוחים היום?"},
}
