package engine

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// expr compiles record.name to a generic fetch that goes through reflection
// for every map access (vm/runtime.Fetch). Records are map[string]any, so
// after type checking, member accesses on maps with a constant key are
// rewritten into a call of fastGet, which indexes the map directly. This
// roughly halves the cost of a typical mapping expression. Type checking,
// operator overloading and diagnostics all happen on the original tree.
const fastGetName = "$get" // not an identifier users can write

var fastGetType = reflect.TypeOf(fastGet)

func fastGet(params ...any) (any, error) {
	m, ok := params[0].(map[string]any)
	if !ok {
		if params[0] == nil {
			return nil, fmt.Errorf("cannot fetch %v from nil", params[1])
		}
		return nil, fmt.Errorf("cannot fetch %v from %T", params[1], params[0])
	}
	return m[params[1].(string)], nil
}

var fastGetOption = expr.Function(fastGetName, fastGet)

type fastFetch struct{}

func (fastFetch) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Optional || m.Method {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	bt := m.Node.Nature().Type
	if bt == nil || bt.Kind() != reflect.Map || bt.Key().Kind() != reflect.String || bt.Elem().Kind() != reflect.Interface {
		return
	}
	callee := &ast.IdentifierNode{Value: fastGetName}
	callee.SetType(fastGetType)
	callee.SetLocation(m.Location())
	call := &ast.CallNode{Callee: callee, Arguments: []ast.Node{m.Node, prop}}
	call.SetNature(*m.Nature())
	call.SetLocation(m.Location())
	*node = call
}
