package dockertoken

import (
	"slices"

	"github.com/oatgate/oatgate/caddymodule/access"
)

// Resource types and the actions this gateway understands. Anything else a
// client asks for is ignored, so it is never granted.
const (
	// TypeRepository is a repository; its actions are pull, push and delete.
	TypeRepository = "repository"
	// TypeRegistry is the registry itself; its one resource is "catalog"
	// with the action "*".
	TypeRegistry = "registry"
	// NameCatalog is the registry resource that lists repositories.
	NameCatalog = "catalog"
	// ActionAll is the catalog's action.
	ActionAll = "*"
)

// Access is one entry of a token's "access" claim, and one scope a client
// asks for, as distribution's token spec writes both: a resource type, an
// optional class (Docker's `repository(plugin):...`), a name and actions.
type Access struct {
	Type    string   `json:"type"`
	Class   string   `json:"class,omitempty"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Scope returns the entry in the scope grammar:
// "<type>[(<class>)]:<name>:<action>[,<action>...]".
func (a Access) Scope() string {
	s := a.Type
	if a.Class != "" {
		s += "(" + a.Class + ")"
	}
	s += ":" + a.Name + ":"
	for i, act := range a.Actions {
		if i > 0 {
			s += ","
		}
		s += act
	}
	return s
}

// repositoryAction reads a repository action; ok is false for any other
// word, including "*".
func repositoryAction(s string) (access.Action, bool) {
	a, err := access.ParseAction(s)
	return a, err == nil
}

// merge adds a to list, joining it with an entry for the same resource, and
// keeps each entry's actions unique and in first-seen order.
func merge(list []Access, a Access) []Access {
	i := slices.IndexFunc(list, func(o Access) bool {
		return o.Type == a.Type && o.Class == a.Class && o.Name == a.Name
	})
	if i < 0 {
		list = append(list, Access{Type: a.Type, Class: a.Class, Name: a.Name})
		i = len(list) - 1
	}
	for _, act := range a.Actions {
		if !slices.Contains(list[i].Actions, act) {
			list[i].Actions = append(list[i].Actions, act)
		}
	}
	return list
}
