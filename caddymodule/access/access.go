// Package access is the vocabulary the rest of oatgate speaks: the actions a
// registry request needs and the (repository, action) pairs that a token's
// scopes must grant.
package access

import "fmt"

// Action is what a request does to a repository. Actions nest as Docker's do:
// Delete includes Push, and Push includes Pull (clients HEAD blobs while
// pushing), so a grant of a larger action satisfies a need for a smaller one.
type Action uint8

// The actions, smallest first. The zero value is not an action, so that a
// forgotten assignment never grants anything.
const (
	Pull Action = iota + 1
	Push
	Delete
)

// ParseAction reads an action as scopes write it: "pull", "push" or "delete".
func ParseAction(s string) (Action, error) {
	switch s {
	case "pull":
		return Pull, nil
	case "push":
		return Push, nil
	case "delete":
		return Delete, nil
	}
	return 0, fmt.Errorf("unknown action %q: want pull, push or delete", s)
}

// String returns the action as scopes and usage events write it.
func (a Action) String() string {
	switch a {
	case Pull:
		return "pull"
	case Push:
		return "push"
	case Delete:
		return "delete"
	}
	return "invalid"
}

// Valid reports whether a is one of Pull, Push and Delete.
func (a Action) Valid() bool { return a >= Pull && a <= Delete }

// Includes reports whether a grant of a satisfies a need for need. This is the
// one place the nesting rule lives.
func (a Action) Includes(need Action) bool {
	return a.Valid() && need.Valid() && a >= need
}

// Set is a set of granted actions, as one scope entry lists them.
type Set uint8

// Add returns the set with a added.
func (s Set) Add(a Action) Set { return s | 1<<a }

// Has reports whether any action in the set includes need.
func (s Set) Has(need Action) bool {
	if !need.Valid() {
		return false
	}
	// Every action at or above need includes it.
	return s>>need != 0
}

// Access is one (repository, action) pair a request needs.
type Access struct {
	Repository string
	Action     Action
}

func (a Access) String() string { return a.Repository + ":" + a.Action.String() }
