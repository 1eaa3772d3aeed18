package model

import (
	"strings"
)

// position is a 1-based line and column in the DSL source; zero when unknown.
type position struct{ line, col int }

// source locates types, relations and conditions in DSL text. The DSL parser
// only reports positions for syntax errors; semantic errors are found on the
// protobuf it produces, so their positions are recovered here by scanning
// the text the same way the parser reads it (line-oriented, `#` comments).
type source struct {
	lines      []string
	schema     position
	types      map[string][]int          // type name -> lines of its `type` headers (more than one if duplicated)
	relations  map[string]map[string]int // type -> relation -> line of its `define`
	conditions map[string]int            // condition name -> line
}

// newSource indexes dsl. It never fails: anything it does not recognise is
// skipped, and lookups for it return an unknown position.
func newSource(dsl string) *source {
	s := &source{
		types:      map[string][]int{},
		relations:  map[string]map[string]int{},
		conditions: map[string]int{},
	}
	s.lines = strings.Split(dsl, "\n")
	current := ""
	for i, raw := range s.lines {
		line := stripComment(raw)
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		n := i + 1
		switch fields[0] {
		case "schema":
			s.schema = position{line: n, col: wordCol(raw, fields[0], 0)}
			if len(fields) > 1 {
				s.schema.col = wordCol(raw, fields[1], s.schema.col)
			}
		case "extend", "type":
			if fields[0] == "extend" {
				fields = fields[1:]
			}
			if len(fields) >= 2 && fields[0] == "type" {
				current = fields[1]
				s.types[current] = append(s.types[current], n)
			}
		case "define":
			name, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "define")), ":")
			name = strings.TrimSpace(name)
			if s.relations[current] == nil {
				s.relations[current] = map[string]int{}
			}
			if _, dup := s.relations[current][name]; !dup {
				s.relations[current][name] = n
			}
		case "condition":
			current = ""
			name, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "condition")), "(")
			s.conditions[strings.TrimSpace(name)] = n
		}
	}
	return s
}

// stripComment removes what the DSL parser treats as a comment: a whole
// line starting with `#`, or anything after " #".
func stripComment(line string) string {
	if strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
		return ""
	}
	before, _, _ := strings.Cut(line, " #")
	return before
}

// typePos is the position of the nth (0-based) `type name` header.
func (s *source) typePos(name string, nth int) position {
	if s == nil || nth >= len(s.types[name]) {
		return position{}
	}
	n := s.types[name][nth]
	raw := s.lines[n-1]
	return position{line: n, col: wordCol(raw, name, strings.Index(raw, "type")+len("type"))}
}

// relationPos is the position of relation rel's name in its `define` line
// within objType's block, falling back to the type header.
func (s *source) relationPos(objType, rel string) position {
	return s.symbolPos(objType, rel, "")
}

// symbolPos is the position of symbol within the definition of objType#rel
// (after its colon), e.g. the undefined relation a rewrite refers to. It
// falls back to the relation's name, then to the type header.
func (s *source) symbolPos(objType, rel, symbol string) position {
	if s == nil {
		return position{}
	}
	n, ok := s.relations[objType][rel]
	if !ok {
		return s.typePos(objType, 0)
	}
	raw := s.lines[n-1]
	def := strings.Index(raw, "define") + len("define")
	if symbol != "" {
		if colon := strings.Index(raw[def:], ":"); colon >= 0 {
			if c := wordCol(raw, symbol, def+colon+1); c > 0 {
				return position{line: n, col: c}
			}
		}
	}
	return position{line: n, col: wordCol(raw, rel, def)}
}

// conditionPos is the position of condition name's declaration.
func (s *source) conditionPos(name string) position {
	if s == nil {
		return position{}
	}
	n, ok := s.conditions[name]
	if !ok {
		return position{}
	}
	raw := s.lines[n-1]
	return position{line: n, col: wordCol(raw, name, strings.Index(raw, "condition")+len("condition"))}
}

// wordCol returns the 1-based column of the first whole-word occurrence of
// word in line at or after byte offset from, or 0 if there is none. Word
// boundaries are the DSL's punctuation and white space.
func wordCol(line, word string, from int) int {
	if word == "" || from < 0 {
		return 0
	}
	for from <= len(line) {
		i := strings.Index(line[from:], word)
		if i < 0 {
			return 0
		}
		start, end := from+i, from+i+len(word)
		if (start == 0 || isBoundary(line[start-1])) && (end == len(line) || isBoundary(line[end])) {
			return start + 1
		}
		from = start + 1
	}
	return 0
}

func isBoundary(c byte) bool {
	return strings.IndexByte(" \t\r:#,[]()", c) >= 0
}
