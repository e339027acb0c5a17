// render-check validates a Render Blueprint (render.yaml) against schema.json (the subset of Render's
// Blueprint reference this project uses; Render's own schema and CLI validator are not reachable
// here), then checks what the schema cannot: unique service names and env keys per service, a
// Dockerfile/context that exist (paths are relative to the repository root, as Render reads them),
// a build context that holds every COPY/ADD source of that Dockerfile, and, for docker web
// services, a health check path.
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
	"strings"

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
			// Render's documented default when dockerfilePath is left out.
			dockerfile := s.DockerfilePath
			if dockerfile == "" {
				dockerfile = "./Dockerfile"
			}
			dockerfileOK := true
			if _, err := os.Stat(filepath.Join(root, dockerfile)); err != nil {
				problems = append(problems, fmt.Sprintf("service %q: dockerfilePath %s does not exist under %s", s.Name, dockerfile, root))
				dockerfileOK = false
			}
			contextOK := true
			if s.DockerContext != "" {
				if info, err := os.Stat(filepath.Join(root, s.DockerContext)); err != nil || !info.IsDir() {
					problems = append(problems, fmt.Sprintf("service %q: dockerContext %s is not a folder under %s", s.Name, s.DockerContext, root))
					contextOK = false
				}
			} else if filepath.Dir(filepath.Clean(dockerfile)) != "." {
				// Without dockerContext Render's tutorial builds from the Dockerfile's folder, other pages
				// from the repository root: outside the root, only an explicit context is unambiguous.
				problems = append(problems, fmt.Sprintf("service %q: dockerfilePath %s is not in the repository root, so dockerContext must be set explicitly", s.Name, dockerfile))
				contextOK = false
			}
			if dockerfileOK && contextOK {
				context := s.DockerContext
				if context == "" {
					context = "."
				}
				missing, err := missingCopySources(filepath.Join(root, dockerfile), filepath.Join(root, context))
				if err != nil {
					return nil, err
				}
				for _, src := range missing {
					problems = append(problems, fmt.Sprintf("service %q: %s copies %s, which is not in the build context %s", s.Name, dockerfile, src, context))
				}
			}
			if s.Type == "web" && s.HealthCheckPath == "" {
				problems = append(problems, fmt.Sprintf("service %q: a web service needs healthCheckPath for zero-downtime deploys", s.Name))
			}
		}
	}
	return problems, nil
}

// missingCopySources lists the sources of the Dockerfile's COPY/ADD instructions (those that read
// the build context: no --from, no URL, no heredoc, no variable) that match nothing in context.
func missingCopySources(dockerfile, context string) ([]string, error) {
	raw, err := os.ReadFile(dockerfile)
	if err != nil {
		return nil, err
	}
	var instructions []string
	var buffer strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			buffer.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		buffer.WriteString(trimmed)
		instructions = append(instructions, buffer.String())
		buffer.Reset()
	}
	var missing []string
	seen := map[string]bool{}
	for _, instruction := range instructions {
		fields := strings.Fields(instruction)
		if len(fields) < 3 {
			continue
		}
		keyword := strings.ToUpper(fields[0])
		if keyword != "COPY" && keyword != "ADD" {
			continue
		}
		var args []string
		fromStage := false
		rest := strings.TrimSpace(strings.TrimPrefix(instruction, fields[0]))
		for strings.HasPrefix(rest, "--") {
			flagEnd := strings.IndexAny(rest, " \t")
			if flagEnd < 0 {
				flagEnd = len(rest)
			}
			if strings.HasPrefix(rest, "--from=") {
				fromStage = true
			}
			rest = strings.TrimSpace(rest[flagEnd:])
		}
		if fromStage {
			continue
		}
		if strings.HasPrefix(rest, "[") {
			if err := json.Unmarshal([]byte(rest), &args); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", dockerfile, instruction, err)
			}
		} else {
			args = strings.Fields(rest)
		}
		if len(args) < 2 {
			continue
		}
		for _, src := range args[:len(args)-1] {
			if seen[src] || strings.Contains(src, "$") || strings.HasPrefix(src, "<<") || strings.Contains(src, "://") || strings.HasPrefix(src, "git@") {
				continue
			}
			seen[src] = true
			matches, err := filepath.Glob(filepath.Join(context, filepath.FromSlash(src)))
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", dockerfile, instruction, err)
			}
			if len(matches) == 0 {
				missing = append(missing, src)
			}
		}
	}
	return missing, nil
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
