// Package reference turns the LlamastackIntegration API types and their doc comments into
// the functionConfig's JSON Schema and field reference. The types' source is the one source:
// the schema published in schema/, the README's reference table and the binary's --help
// all come from here, and a test keeps the committed copies in step.
package reference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// Field is one documented field of the functionConfig.
type Field struct {
	// Path is the field's path, for example spec.apiKeySecret.name; list items are [].
	Path string
	// Type is the field's JSON type: string, boolean, integer, object, array of ...
	Type string
	// Required says the field has no +optional marker.
	Required bool
	// Doc is the field's doc comment, markers removed, as one paragraph.
	Doc string
}

type structDef struct {
	doc    string
	fields []*ast.Field
}

// Load parses the Go source of the API package (types.go) and returns its documented
// fields from the root type, and the JSON Schema of the root type.
func Load(source []byte, root string) ([]Field, []byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "types.go", source, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	structs := map[string]structDef{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			continue
		}
		for _, spec := range gen.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			text := gen.Doc.Text()
			if ts.Doc != nil {
				text = ts.Doc.Text()
			}
			structs[ts.Name.Name] = structDef{doc: text, fields: st.Fields.List}
		}
	}
	if _, ok := structs[root]; !ok {
		return nil, nil, fmt.Errorf("type %s not found", root)
	}
	g := &generator{structs: structs}
	schema := g.schemaOf(&ast.Ident{Name: root}, "")
	schema["$schema"] = "http://json-schema.org/draft-07/schema#"
	schema["title"] = root
	if len(g.errs) > 0 {
		return nil, nil, fmt.Errorf("%s", strings.Join(g.errs, "; "))
	}
	out, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return g.fields, append(out, '\n'), nil
}

type generator struct {
	structs map[string]structDef
	fields  []Field
	errs    []string
}

// schemaOf returns the schema of a type expression and records documented fields under path.
func (g *generator) schemaOf(expr ast.Expr, path string) map[string]any {
	switch t := expr.(type) {
	case *ast.StarExpr:
		return g.schemaOf(t.X, path)
	case *ast.ArrayType:
		return map[string]any{"type": "array", "items": g.schemaOf(t.Elt, path+"[]")}
	case *ast.MapType:
		return map[string]any{"type": "object", "additionalProperties": g.schemaOf(t.Value, path+".*")}
	case *ast.Ident:
		switch t.Name {
		case "string":
			return map[string]any{"type": "string"}
		case "bool":
			return map[string]any{"type": "boolean"}
		case "int", "int32", "int64":
			return map[string]any{"type": "integer"}
		}
		def, ok := g.structs[t.Name]
		if !ok {
			g.errs = append(g.errs, "no schema rule for type "+t.Name)
			return map[string]any{}
		}
		properties := map[string]any{}
		var required []string
		for _, f := range def.fields {
			name, omitempty := jsonName(f)
			if name == "" || name == "-" {
				continue
			}
			fieldPath := name
			if path != "" {
				fieldPath = path + "." + name
			}
			text, optional, keywords := docOf(f, name)
			// Record the field before descending, so the reference lists parents first.
			i := len(g.fields)
			g.fields = append(g.fields, Field{Path: fieldPath, Required: !optional, Doc: text})
			s := g.schemaOf(f.Type, fieldPath)
			g.fields[i].Type = typeName(s)
			if text != "" {
				s["description"] = text
			}
			for k, v := range keywords {
				target := s
				if items, ok := s["items"].(map[string]any); ok && k != "minItems" && k != "maxItems" {
					target = items // a list's markers are about its items
				}
				target[k] = v
			}
			properties[name] = s
			if !optional && !omitempty {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": properties, "additionalProperties": false}
		if len(required) > 0 {
			sort.Strings(required)
			s["required"] = required
		}
		return s
	}
	g.errs = append(g.errs, fmt.Sprintf("no schema rule for %T", expr))
	return map[string]any{}
}

func jsonName(f *ast.Field) (string, bool) {
	if f.Tag == nil {
		return "", false
	}
	tag := strings.Trim(f.Tag.Value, "`")
	for _, part := range strings.Fields(tag) {
		if v, ok := strings.CutPrefix(part, `json:"`); ok {
			v = strings.TrimSuffix(v, `"`)
			name, opts, _ := strings.Cut(v, ",")
			return name, strings.Contains(opts, "omitempty")
		}
	}
	return "", false
}

// validationMarker is kubebuilder's marker for a JSON Schema keyword, as in
// +kubebuilder:validation:Maximum=2147483647.
const validationMarker = "+kubebuilder:validation:"

// docOf returns the field's doc comment as one paragraph, whether it is marked +optional,
// and the JSON Schema keywords of its validation markers.
func docOf(f *ast.Field, jsonName string) (string, bool, map[string]any) {
	if f.Doc == nil {
		return "", false, nil
	}
	var lines []string
	optional := false
	keywords := map[string]any{}
	for _, line := range strings.Split(f.Doc.Text(), "\n") {
		line = strings.TrimSpace(line)
		if line == "+optional" {
			optional = true
			continue
		}
		if marker, ok := strings.CutPrefix(line, validationMarker); ok {
			name, value, _ := strings.Cut(marker, "=")
			keywords[keyword(name)] = markerValue(name, value)
			continue
		}
		if strings.HasPrefix(line, "+") || line == "" {
			continue
		}
		lines = append(lines, line)
	}
	text := strings.Join(lines, " ")
	// Doc comments start with the Go field name; users write the JSON name.
	if len(f.Names) > 0 {
		if rest, ok := strings.CutPrefix(text, f.Names[0].Name+" "); ok {
			text = jsonName + " " + rest
		}
	}
	return text, optional, keywords
}

// keyword is the JSON Schema keyword of a kubebuilder validation marker: Maximum is maximum.
func keyword(marker string) string {
	return strings.ToLower(marker[:1]) + marker[1:]
}

// markerValue reads a marker's value: numbers for the numeric keywords, ;-separated lists for
// Enum, strings otherwise.
func markerValue(marker, value string) any {
	switch marker {
	case "Minimum", "Maximum", "MinLength", "MaxLength", "MinItems", "MaxItems":
		var n int64
		if _, err := fmt.Sscan(value, &n); err == nil {
			return n
		}
	case "Enum":
		return strings.Split(value, ";")
	}
	return value
}

func typeName(s map[string]any) string {
	t, _ := s["type"].(string)
	switch t {
	case "array":
		return "list of " + typeName(s["items"].(map[string]any))
	case "object":
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			return "map of " + typeName(ap)
		}
		return "object"
	}
	return t
}

// Markdown renders the fields below prefix (for example "spec.") as a table.
func Markdown(fields []Field, prefix string) string {
	var b strings.Builder
	b.WriteString("| field | type | description |\n|---|---|---|\n")
	for _, f := range fields {
		if !strings.HasPrefix(f.Path, prefix) {
			continue
		}
		req := ""
		if f.Required {
			req = " (required)"
		}
		fmt.Fprintf(&b, "| `%s` | %s%s | %s |\n", f.Path, f.Type, req, strings.ReplaceAll(f.Doc, "|", "\\|"))
	}
	return b.String()
}

// Text renders the fields below prefix for a terminal: the path, then the wrapped description.
func Text(fields []Field, prefix string, width int) string {
	var b strings.Builder
	for _, f := range fields {
		if !strings.HasPrefix(f.Path, prefix) {
			continue
		}
		req := ""
		if f.Required {
			req = ", required"
		}
		fmt.Fprintf(&b, "  %s (%s%s)\n", f.Path, f.Type, req)
		line := "      "
		for _, word := range strings.Fields(f.Doc) {
			if len(line)+len(word)+1 > width && strings.TrimSpace(line) != "" {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = "      "
			}
			line += word + " "
		}
		if strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	return b.String()
}

// Files are the generated files, by path relative to the API package's folder: the JSON
// Schema and the --help reference (both embedded into the binary), and docs/reference.md
// with its field table rewritten from the types in source.
func Files(source, doc []byte) (map[string][]byte, error) {
	fields, schema, err := Load(source, "LlamastackIntegration")
	if err != nil {
		return nil, err
	}
	newDoc, err := ReplaceSection(doc, ReadmeBegin, ReadmeEnd, Markdown(fields, "spec."))
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		SchemaFile:    schema,
		ReferenceFile: []byte(Text(fields, "spec.", 92)),
		ReferenceDoc:  newDoc,
	}, nil
}

// ReplaceSection replaces what is between the lines begin and end of doc with content.
func ReplaceSection(doc []byte, begin, end, content string) ([]byte, error) {
	start := bytes.Index(doc, []byte(begin))
	stop := bytes.Index(doc, []byte(end))
	if start < 0 || stop < start {
		return nil, fmt.Errorf("the document needs the markers %q and %q", strings.TrimSpace(begin), end)
	}
	out := append([]byte{}, doc[:start+len(begin)]...)
	out = append(out, content...)
	return append(out, doc[stop:]...), nil
}

// The generated files, relative to the API package's folder, and the README's markers.
const (
	SchemaFile    = "llamastackintegration.v1alpha1.schema.json"
	ReferenceFile = "reference.txt"
	ReferenceDoc  = "../../../docs/reference.md"
	ReadmeBegin   = "<!-- reference:begin (generated from fn/api/v1alpha1/types.go; make golden rewrites it) -->\n"
	ReadmeEnd     = "<!-- reference:end -->"
)
