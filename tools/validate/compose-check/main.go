// compose-check loads a Compose file with compose-go, the library `docker compose` itself uses to
// read, interpolate, schema-validate and consistency-check a project (the same steps as
// `docker compose config`), then applies the checks `docker compose up` makes before it starts
// anything. Exit 0 and a summary on success; exit 1 and the loader's message on failure.
//
// usage: compose-check [-project-directory dir] [-env-file file]... compose.yml [more.yml...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	dir := flag.String("project-directory", "", "project directory (default: the first file's folder)")
	var envFiles multi
	flag.Var(&envFiles, "env-file", "env file for interpolation (repeatable; default: .env in the project directory)")
	printModel := flag.Bool("print", false, "print the resolved project as YAML (like docker compose config)")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-project-directory dir] [-env-file file]... compose.yml")
		os.Exit(2)
	}
	project, err := load(files, *dir, envFiles)
	if err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %s: %v\n", strings.Join(files, ","), err)
		os.Exit(1)
	}
	if problems := upChecks(project); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "compose-check: %s: %s\n", strings.Join(files, ","), p)
		}
		os.Exit(1)
	}
	if *printModel {
		out, err := project.MarshalYAML()
		if err != nil {
			fmt.Fprintln(os.Stderr, "compose-check:", err)
			os.Exit(1)
		}
		os.Stdout.Write(out)
		return
	}
	summary(project)
}

// load mirrors docker compose's ToProject: OS environment, .env / --env-file, interpolation,
// normalisation, schema validation, consistency checks, resolved paths and service env_files.
func load(files []string, dir string, envFiles []string) (*types.Project, error) {
	opts := []cli.ProjectOptionsFn{
		cli.WithOsEnv,
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	}
	if dir != "" {
		opts = append(opts, cli.WithWorkingDirectory(dir))
	}
	options, err := cli.NewProjectOptions(files, opts...)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	if err := project.CheckContainerNameUnicity(); err != nil {
		return nil, err
	}
	// env_file entries are read here, so a missing required one fails like `docker compose up` would.
	return project.WithServicesEnvironmentResolved(false)
}

// upChecks: what `docker compose up` refuses at start-up that the loader accepts.
func upChecks(p *types.Project) []string {
	var problems []string
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				if d.Required {
					problems = append(problems, fmt.Sprintf("service %q depends on undefined service %q", name, dep))
				}
				continue
			}
			if d.Condition == types.ServiceConditionHealthy && (target.HealthCheck == nil || target.HealthCheck.Disable) {
				// docker compose up: "dependency failed to start: container … has no healthcheck configured"
				problems = append(problems, fmt.Sprintf("service %q waits for %q to be healthy, but %q has no healthcheck", name, dep, dep))
			}
		}
		if s.Image == "" && s.Build == nil {
			problems = append(problems, fmt.Sprintf("service %q has neither image nor build", name))
		}
		// docker compose up --build: "failed to read dockerfile" (the loader leaves the path unchecked).
		if dockerfile := localDockerfile(s.Build); dockerfile != "" {
			if info, err := os.Stat(dockerfile); err != nil || info.IsDir() {
				rel, relErr := filepath.Rel(p.WorkingDir, dockerfile)
				if relErr != nil {
					rel = dockerfile
				}
				problems = append(problems, fmt.Sprintf("service %q builds from %s, which does not exist", name, rel))
			}
		}
	}
	return problems
}

// localDockerfile is the Dockerfile path of a build from a local context (relative paths are
// relative to the context, as docker compose resolves them), or "" for none, inline or remote.
func localDockerfile(b *types.BuildConfig) string {
	if b == nil || b.DockerfileInline != "" || strings.Contains(b.Context, "://") || strings.HasPrefix(b.Context, "git@") {
		return ""
	}
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(b.Context, dockerfile)
	}
	return dockerfile
}

func summary(p *types.Project) {
	fmt.Printf("project %q: %d services, %d volumes, %d networks\n", p.Name, len(p.Services), len(p.Volumes), len(p.Networks))
	names := p.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		s := p.Services[name]
		what := s.Image
		if s.Build != nil {
			context, err := filepath.Rel(p.WorkingDir, s.Build.Context)
			if err != nil {
				context = s.Build.Context
			}
			what = "build " + context
			if b := s.Build; b.Dockerfile != "" && b.Dockerfile != "Dockerfile" {
				what += " -f " + b.Dockerfile
			}
			if s.Image != "" {
				what += " as " + s.Image
			}
		}
		health := "no healthcheck"
		if s.HealthCheck != nil && !s.HealthCheck.Disable {
			health = "healthcheck"
		}
		var deps []string
		for dep, d := range s.DependsOn {
			deps = append(deps, dep+":"+d.Condition)
		}
		sort.Strings(deps)
		extra := ""
		if s.NetworkMode != "" {
			extra = " network_mode=" + s.NetworkMode
		}
		fmt.Printf("  %-16s %s; %s%s; depends_on [%s]\n", name, what, health, extra, strings.Join(deps, " "))
	}
}
