package veeqoconnect_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docFiles are the documents whose Go code blocks must compile.
var docFiles = []string{"README.md", "CONTRIBUTING.md"}

// TestDocGoBlocksCompile extracts every ```go block of the documents and
// builds it against the current API, so the code a reader copies is code
// that compiles.
//
// Each block becomes a package of its own in a temporary module that
// requires this repository through a replace directive; a //line directive
// makes every compile error point at the document's line. A block is taken
// as it is written:
//
//   - with a package clause, it is a file as written;
//   - starting with declarations (func, type, var, const), they are the
//     file's declarations;
//   - otherwise it is a list of statements: they become the body of a
//     function returning error (a `return nil` is appended), whose
//     parameters are the names the text leaves to the reader.
//
// `import` lines at the top of a block become the file's imports; any
// package the block names without importing it (store, vsync, time, ...) is
// imported for it, from this module or the standard library. The names a
// block leaves to the reader are given in an HTML comment on the line
// before the block, which the rendered document does not show:
//
//	<!-- go-block: given ctx context.Context, apiKey string -->
//
// For a declaration block, "given" names are declared as package-level
// variables, and a "given func" entry (`given func newMyStore(t *testing.T)
// store.Store`) as a function.
func TestDocGoBlocksCompile(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := modulePackages(t, root)
	var blocks []docBlock
	for _, f := range docFiles {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		blocks = append(blocks, extractGoBlocks(f, b)...)
	}
	if len(blocks) < 2 {
		t.Fatalf("found %d Go blocks in %v; the README alone has more: is the extraction broken?", len(blocks), docFiles)
	}

	mod := t.TempDir()
	goMod := fmt.Sprintf("module readmecheck\n\ngo 1.26.0\n\nrequire github.com/xoroerp/veeqoconnect v0.0.0-00010101000000-000000000000\n\nreplace github.com/xoroerp/veeqoconnect => %s\n", root)
	write(t, filepath.Join(mod, "go.mod"), goMod)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(mod, "go.sum"), string(sum))
	for i, b := range blocks {
		src, err := b.program(fmt.Sprintf("block%d", i+1), pkgs)
		if err != nil {
			t.Errorf("%s:%d: %v", b.file, b.line, err)
			continue
		}
		write(t, filepath.Join(mod, fmt.Sprintf("block%d", i+1), "block.go"), src)
	}

	cmd := exec.Command(goTool(t), "build", "./...")
	cmd.Dir = mod
	// -mod=mod lets the temporary module take its requirements from this
	// repository's go.mod; everything is already in the module cache, so
	// nothing is downloaded (GOPROXY=off makes sure).
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the documents' Go blocks do not compile (positions are the documents' lines):\n%s", out)
	}
	t.Logf("%d Go blocks compiled: %s", len(blocks), strings.Join(blockNames(blocks), ", "))
}

// docBlock is one ```go block of a document.
type docBlock struct {
	file  string
	line  int // the document's line of the block's first code line
	code  string
	given []string // "name type" or "func name(...) ..." entries
}

func blockNames(bs []docBlock) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s:%d", b.file, b.line))
	}
	return out
}

var givenRE = regexp.MustCompile(`^<!--\s*go-block:\s*given\s+(.*?)\s*-->$`)

// extractGoBlocks returns the ```go blocks of a Markdown document, with the
// names the comment before each leaves to the reader.
func extractGoBlocks(file string, doc []byte) []docBlock {
	var out []docBlock
	var cur *docBlock
	prev := ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &docBlock{file: file, line: n + 1}
			if m := givenRE.FindStringSubmatch(prev); m != nil {
				cur.given = splitGiven(m[1])
			}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	return out
}

// splitGiven splits "a T, b func(x, y int) error, func f(t *T) U" on the
// commas outside parentheses.
func splitGiven(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

var declStart = regexp.MustCompile(`^(func|type|var|const)\b`)

// program turns the block into a Go file of package name.
func (b docBlock) program(name string, pkgs map[string]string) (string, error) {
	if regexp.MustCompile(`(?m)^package \w+`).MatchString(b.code) {
		return fmt.Sprintf("//line %s:%d\n%s", b.file, b.line, b.code), nil
	}
	// Leading import lines (and blank lines and comments) go to the file.
	lines := strings.SplitAfter(b.code, "\n")
	var imports []string
	i := 0
	for i < len(lines) {
		l := strings.TrimSpace(lines[i])
		switch {
		case l == "" || strings.HasPrefix(l, "//"):
			i++
			continue
		case l == "import (":
			j := i + 1
			for j < len(lines) && strings.TrimSpace(lines[j]) != ")" {
				imports = append(imports, strings.TrimSpace(lines[j]))
				j++
			}
			i = j + 1
			continue
		case strings.HasPrefix(l, "import "):
			imports = append(imports, strings.TrimSpace(strings.TrimPrefix(l, "import ")))
			i++
			continue
		}
		break
	}
	bodyLine := b.line + i
	body := strings.Join(lines[i:], "")
	topLevel := declStart.MatchString(strings.TrimSpace(body))

	var given, givenFuncs []string
	for _, g := range b.given {
		if strings.HasPrefix(g, "func ") {
			givenFuncs = append(givenFuncs, g+" { panic(\"given by the reader\") }")
		} else {
			given = append(given, g)
		}
	}
	var src strings.Builder
	render := func(imps []string) string {
		src.Reset()
		fmt.Fprintf(&src, "package %s\n\n", name)
		if len(imps) > 0 {
			fmt.Fprintf(&src, "import (\n\t%s\n)\n\n", strings.Join(imps, "\n\t"))
		}
		for _, f := range givenFuncs {
			src.WriteString(f + "\n\n")
		}
		if topLevel {
			for _, g := range given {
				src.WriteString("var " + g + "\n")
			}
			fmt.Fprintf(&src, "\n//line %s:%d\n%s", b.file, bodyLine, body)
		} else {
			fmt.Fprintf(&src, "func %s(%s) error {\n//line %s:%d\n%s\treturn nil\n}\n", name, strings.Join(given, ", "), b.file, bodyLine, body)
		}
		return src.String()
	}

	// Import what the block names but does not import.
	first := render(imports)
	f, err := parser.ParseFile(token.NewFileSet(), name+".go", first, parser.SkipObjectResolution)
	if err != nil {
		return "", fmt.Errorf("does not parse as Go once wrapped: %w", err)
	}
	declared := map[string]bool{}
	for _, imp := range f.Imports {
		n := strings.Trim(imp.Path.Value, `"`)
		if imp.Name != nil {
			declared[imp.Name.Name] = true
		} else {
			declared[n[strings.LastIndex(n, "/")+1:]] = true
		}
	}
	var add []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || declared[id.Name] {
			return true
		}
		if path, ok := pkgs[id.Name]; ok {
			declared[id.Name] = true
			if id.Name == "vsync" {
				add = append(add, fmt.Sprintf("vsync %q", path))
			} else {
				add = append(add, fmt.Sprintf("%q", path))
			}
		}
		return true
	})
	slices.Sort(add)
	return render(append(imports, add...)), nil
}

// modulePackages maps package names a block may use without importing
// them to import paths: this module's packages (sync as vsync) and a few
// of the standard library's.
func modulePackages(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{
		"context": "context", "errors": "errors", "fmt": "fmt", "slog": "log/slog", "log": "log", "time": "time",
		"testing": "testing", "os": "os", "http": "net/http", "json": "encoding/json", "iter": "iter", "strings": "strings",
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "examples" || d.Name() == "cmd") {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		matches, _ := filepath.Glob(filepath.Join(path, "*.go"))
		if len(matches) == 0 {
			return nil
		}
		name := filepath.Base(path)
		if name == "sync" {
			name = "vsync"
		}
		out[name] = "github.com/xoroerp/veeqoconnect/" + filepath.ToSlash(rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// goTool is the go command; go test puts its toolchain's bin directory
// first on PATH.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to build the blocks with: %v", err)
	}
	return p
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
