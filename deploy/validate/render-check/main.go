// render-check validates a Render Blueprint (render.yaml) against schema.json (the subset of Render's
// Blueprint reference this project uses; Render's own schema and CLI validator are not reachable
// here), then checks what the schema cannot: unique service names and env keys per service, a
// Dockerfile/context that exist (paths are relative to the repository root, as Render reads them),
// and, for docker web services, a health check path.
//
// usage: render-check -root <repo root> render.yaml
//
//	render-check -yaml-to-json file.yaml...   (every document of every file, as one JSON array)
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

//go:embed schema.json
var schemaJSON []byte

type blueprint struct {
	Services []struct {
		Type            string `json:"type"`
		Name            string `json:"name"`
		Runtime         string `json:"runtime"`
		DockerfilePath  string `json:"dockerfilePath"`
		DockerContext   string `json:"dockerContext"`
		HealthCheckPath string `json:"healthCheckPath"`
		EnvVars         []struct {
			Key string `json:"key"`
		} `json:"envVars"`
	} `json:"services"`
}

func main() {
	root := flag.String("root", ".", "repository root (Render resolves paths from there)")
	toJSON := flag.Bool("yaml-to-json", false, "instead: print the YAML documents of each file as one JSON array (a helper for the deploy tests)")
	flag.Parse()
	if *toJSON {
		if err := yamlToJSON(flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "render-check:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: render-check -root <repo> render.yaml")
		os.Exit(2)
	}
	file := flag.Arg(0)
	problems, err := check(file, *root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "render-check: %s: %v\n", file, err)
		os.Exit(1)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "render-check: %s: %s\n", file, p)
		}
		os.Exit(1)
	}
}

func check(file, root string) ([]string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	// Strict: duplicate keys and non-JSON-able YAML are errors.
	asJSON, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(asJSON))
	if err != nil {
		return nil, err
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("render-subset.json", schemaDoc); err != nil {
		return nil, err
	}
	schema, err := c.Compile("render-subset.json")
	if err != nil {
		return nil, err
	}
	if err := schema.Validate(doc); err != nil {
		return nil, err
	}
	var bp blueprint
	if err := json.Unmarshal(asJSON, &bp); err != nil {
		return nil, err
	}
	var problems []string
	names := map[string]bool{}
	for _, s := range bp.Services {
		if names[s.Name] {
			problems = append(problems, fmt.Sprintf("service name %q is used twice", s.Name))
		}
		names[s.Name] = true
		keys := map[string]bool{}
		for _, e := range s.EnvVars {
			if e.Key == "" {
				continue
			}
			if keys[e.Key] {
				problems = append(problems, fmt.Sprintf("service %q sets %s twice", s.Name, e.Key))
			}
			keys[e.Key] = true
		}
		if s.Runtime == "docker" {
			dockerfile := s.DockerfilePath
			if dockerfile == "" {
				dockerfile = "./Dockerfile"
			}
			if _, err := os.Stat(filepath.Join(root, dockerfile)); err != nil {
				problems = append(problems, fmt.Sprintf("service %q: dockerfilePath %s does not exist under %s", s.Name, dockerfile, root))
			}
			if s.DockerContext != "" {
				if info, err := os.Stat(filepath.Join(root, s.DockerContext)); err != nil || !info.IsDir() {
					problems = append(problems, fmt.Sprintf("service %q: dockerContext %s is not a folder under %s", s.Name, s.DockerContext, root))
				}
			}
			if s.Type == "web" && s.HealthCheckPath == "" {
				problems = append(problems, fmt.Sprintf("service %q: a web service needs healthCheckPath for zero-downtime deploys", s.Name))
			}
		}
	}
	return problems, nil
}

func yamlToJSON(files []string) error {
	docs := []json.RawMessage{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		for _, part := range bytes.Split(append([]byte("\n"), raw...), []byte("\n---")) {
			js, err := yaml.YAMLToJSONStrict(part)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			if string(js) == "null" {
				continue
			}
			docs = append(docs, js)
		}
	}
	out, err := json.Marshal(docs)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
