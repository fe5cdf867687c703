package dockertoken

import "github.com/oatgate/oatgate/caddymodule/access"

// Allows is what a credential may do: whether it may do action on
// repository. For an OAT it is its compiled scopes; for an anonymous client,
// the gateway's anonymous_pull patterns.
type Allows func(repository string, action access.Action) bool

// Grant is the access a token gets: each requested repository action the
// credential allows, and the catalog when catalog is set (the gateway
// filters the catalog by the identity's own pull access, so listing it
// reveals nothing else). It never grants more than was asked for and never
// fails because less was allowed: a resource with no allowed action is left
// out, as Docker Hub does, and the registry request that needed it is then
// refused with a readable denial. Action nesting applies to the check, not
// to the answer: a credential allowed to push is granted "pull" when asked
// for it, but is only granted "push" when asked for push.
func Grant(requested []Access, allows Allows, catalog bool) []Access {
	var out []Access
	for _, r := range requested {
		switch r.Type {
		case TypeRepository:
			g := Access{Type: r.Type, Class: r.Class, Name: r.Name}
			for _, act := range r.Actions {
				a, ok := repositoryAction(act)
				if ok && allows != nil && allows(r.Name, a) && !contains(g.Actions, act) {
					g.Actions = append(g.Actions, act)
				}
			}
			if len(g.Actions) > 0 {
				out = append(out, g)
			}
		case TypeRegistry:
			if catalog && r.Name == NameCatalog && r.Class == "" && contains(r.Actions, ActionAll) {
				out = append(out, Access{Type: TypeRegistry, Name: NameCatalog, Actions: []string{ActionAll}})
			}
		}
	}
	return out
}
