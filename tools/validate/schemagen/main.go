// schemagen writes the JSON schemas kubeconform validates against, from sources the Go module proxy
// serves (nothing else is reachable here):
//
//   - Kubernetes: api/openapi-spec/swagger.json of the k8s.io/kubernetes module, converted the way
//     yannh/kubernetes-json-schema does it (openapi2jsonschema --expanded --kubernetes --stand-alone
//     --strict): every $ref inlined, additionalProperties:false on every object that lists its
//     properties, int-or-string as string|integer, optional fields nullable, apiVersion/kind pinned.
//     Written to <out>/v<version>-standalone-strict/<kind>[-<group>]-<version>.json (and the same
//     without additionalProperties:false under -standalone/), the layout kubeconform expects when
//     -schema-location names a folder.
//   - CRDs (Dapr's, from charts/dapr/crds of the github.com/dapr/dapr module): each served version's
//     openAPIV3Schema, made strict like kubeconform's scripts/openapi2jsonschema.py with
//     DENY_ROOT_ADDITIONAL_PROPERTIES set, written to <out>/crds/<group>/<kind>_<version>.json
//     (kubeconform: -schema-location '<out>/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json').
//
// usage: schemagen -swagger swagger.json -k8s-version 1.37.2 -crds dir[,dir] -out dir
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

type obj = map[string]any

const refPrefix = "#/definitions/"

func main() {
	swagger := flag.String("swagger", "", "Kubernetes swagger.json (OpenAPI v2)")
	version := flag.String("k8s-version", "", "Kubernetes version the swagger.json belongs to, e.g. 1.37.2")
	crds := flag.String("crds", "", "comma-separated folders or files with CustomResourceDefinition YAML")
	out := flag.String("out", "", "output folder")
	flag.Parse()
	if *out == "" || (*swagger == "" && *crds == "") || (*swagger != "" && *version == "") {
		flag.Usage()
		os.Exit(2)
	}
	if *swagger != "" {
		n, err := kubernetes(*swagger, strings.TrimPrefix(*version, "v"), *out)
		if err != nil {
			fail(err)
		}
		fmt.Printf("schemagen: %d Kubernetes kinds from %s\n", n, *swagger)
	}
	if *crds != "" {
		n, err := customResources(strings.Split(*crds, ","), filepath.Join(*out, "crds"))
		if err != nil {
			fail(err)
		}
		fmt.Printf("schemagen: %d custom resource versions from %s\n", n, *crds)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "schemagen:", err)
	os.Exit(1)
}

// ---------------------------------------------------------------- Kubernetes (swagger v2)

func kubernetes(file, version, out string) (int, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]obj `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	defs := doc.Definitions
	// Types whose wire form is wider than swagger v2 says (the apiserver accepts both).
	if q, ok := defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]; ok {
		delete(q, "type")
		q["oneOf"] = []any{obj{"type": "string"}, obj{"type": "number"}}
	}
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	count := 0
	written := map[string]string{}
	for _, strict := range []bool{true, false} {
		suffix := ""
		if strict {
			suffix = "-strict"
		}
		dir := filepath.Join(out, "v"+version+"-standalone"+suffix)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
		for _, name := range names {
			def := defs[name]
			gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
			for _, g := range gvks {
				gvk, _ := g.(obj)
				group, _ := gvk["group"].(string)
				kind, _ := gvk["kind"].(string)
				ver, _ := gvk["version"].(string)
				if kind == "" || ver == "" {
					continue
				}
				schema, ok := inline(def, defs, map[string]bool{name: true}).(obj)
				if !ok {
					continue
				}
				apiVersion := ver
				fileName := strings.ToLower(kind)
				if group != "" {
					apiVersion = group + "/" + ver
					fileName += "-" + strings.ToLower(strings.Split(group, ".")[0])
				}
				fileName += "-" + strings.ToLower(ver) + ".json"
				if props, ok := schema["properties"].(obj); ok {
					pin(props, "apiVersion", apiVersion)
					pin(props, "kind", kind)
				}
				schema = transform(schema, strict, true).(obj)
				schema["$schema"] = "http://json-schema.org/draft-07/schema#"
				if strict {
					schema["additionalProperties"] = false
				}
				path := filepath.Join(dir, fileName)
				if prev, dup := written[path]; dup && prev != apiVersion+"/"+kind {
					// Two groups sharing a first label and a kind: kubeconform could not tell them apart either.
					continue
				}
				written[path] = apiVersion + "/" + kind
				if err := writeJSON(path, schema); err != nil {
					return 0, err
				}
				if strict {
					count++
				}
			}
		}
	}
	return count, nil
}

// pin restricts apiVersion/kind to the values this schema is for.
func pin(props obj, key, value string) {
	if p, ok := props[key].(obj); ok {
		p["enum"] = []any{value}
	}
}

// inline returns a copy of node with every #/definitions/ reference replaced by the definition.
// A reference back into a definition already being inlined (JSONSchemaProps is recursive) becomes
// {} (anything), as a stand-alone schema cannot express the cycle.
func inline(node any, defs map[string]obj, stack map[string]bool) any {
	switch n := node.(type) {
	case obj:
		if ref, ok := n["$ref"].(string); ok && strings.HasPrefix(ref, refPrefix) {
			name := strings.TrimPrefix(ref, refPrefix)
			target, ok := defs[name]
			if !ok || stack[name] {
				return obj{}
			}
			stack[name] = true
			resolved := inline(target, defs, stack)
			delete(stack, name)
			return resolved
		}
		copied := obj{}
		for k, v := range n {
			if k == "description" || k == "x-kubernetes-group-version-kind" {
				continue
			}
			copied[k] = inline(v, defs, stack)
		}
		return copied
	case []any:
		copied := make([]any, len(n))
		for i, v := range n {
			copied[i] = inline(v, defs, stack)
		}
		return copied
	default:
		return n
	}
}

// transform applies the openapi2jsonschema rules: int-or-string, strict objects, nullable optionals.
func transform(node any, strict, nullable bool) any {
	switch n := node.(type) {
	case obj:
		if n["format"] == "int-or-string" || n["x-kubernetes-int-or-string"] == true {
			return obj{"oneOf": []any{obj{"type": "string"}, obj{"type": "integer"}}}
		}
		copied := obj{}
		for k, v := range n {
			if k == "description" {
				continue
			}
			copied[k] = transform(v, strict, nullable)
		}
		props, hasProps := copied["properties"].(obj)
		preserve := copied["x-kubernetes-preserve-unknown-fields"] == true
		if strict && hasProps && !preserve {
			if _, set := copied["additionalProperties"]; !set {
				copied["additionalProperties"] = false
			}
		}
		if nullable && hasProps {
			required := map[string]bool{}
			if list, ok := copied["required"].([]any); ok {
				for _, r := range list {
					if s, ok := r.(string); ok {
						required[s] = true
					}
				}
			}
			for name, p := range props {
				if required[name] {
					continue
				}
				props[name] = allowNull(p)
			}
		}
		return copied
	case []any:
		copied := make([]any, len(n))
		for i, v := range n {
			copied[i] = transform(v, strict, nullable)
		}
		return copied
	default:
		return n
	}
}

func allowNull(p any) any {
	s, ok := p.(obj)
	if !ok {
		return p
	}
	if t, ok := s["type"].(string); ok && t != "null" {
		s["type"] = []any{t, "null"}
	} else if one, ok := s["oneOf"].([]any); ok {
		s["oneOf"] = append(one, obj{"type": "null"})
	}
	return s
}

// ---------------------------------------------------------------- CustomResourceDefinitions

func customResources(sources []string, out string) (int, error) {
	var files []string
	for _, src := range sources {
		info, err := os.Stat(src)
		if err != nil {
			return 0, err
		}
		if !info.IsDir() {
			files = append(files, src)
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(src, "*.yaml"))
		files = append(files, matches...)
	}
	sort.Strings(files)
	count := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		for _, docText := range strings.Split(string(raw), "\n---") {
			if strings.TrimSpace(strings.Trim(docText, "-")) == "" {
				continue
			}
			var crd struct {
				Kind string `json:"kind"`
				Spec struct {
					Group string `json:"group"`
					Names struct {
						Kind string `json:"kind"`
					} `json:"names"`
					Versions []struct {
						Name   string `json:"name"`
						Schema struct {
							OpenAPIV3Schema obj `json:"openAPIV3Schema"`
						} `json:"schema"`
					} `json:"versions"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal([]byte(docText), &crd); err != nil {
				return 0, fmt.Errorf("%s: %w", file, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			for _, v := range crd.Spec.Versions {
				if v.Schema.OpenAPIV3Schema == nil {
					continue
				}
				schema := transform(v.Schema.OpenAPIV3Schema, true, false).(obj)
				if props, ok := schema["properties"].(obj); ok {
					pin(props, "apiVersion", crd.Spec.Group+"/"+v.Name)
					pin(props, "kind", crd.Spec.Names.Kind)
				}
				schema["$schema"] = "http://json-schema.org/draft-07/schema#"
				schema["additionalProperties"] = false
				path := filepath.Join(out, crd.Spec.Group, strings.ToLower(crd.Spec.Names.Kind)+"_"+strings.ToLower(v.Name)+".json")
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return 0, err
				}
				if err := writeJSON(path, schema); err != nil {
					return 0, err
				}
				count++
			}
		}
	}
	return count, nil
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
