package v1alpha1

import _ "embed" // the generated schema and reference

//go:generate go run ./gen

// SchemaJSON is the JSON Schema of LlamastackIntegration, generated from this package's types
// (schema/ at the repository's root links to the same file).
//
//go:embed llamastackintegration.v1alpha1.schema.json
var SchemaJSON string

// FieldReference is the functionConfig's field reference for --help, generated from the doc
// comments of this package's types.
//
//go:embed reference.txt
var FieldReference string
