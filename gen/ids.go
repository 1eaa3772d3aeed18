package gen

// Object and user names of the dataset, and their inverse.

import (
	"strconv"

	"github.com/sentinel-auth/sentinel/tuple"
)

func folderID(f int32) string { return "f" + strconv.Itoa(int(f)) }

func groupObj(g int32) tuple.Object {
	return tuple.Object{Type: "group", ID: "g" + strconv.Itoa(int(g))}
}

func groupSet(g int32) tuple.User {
	return tuple.User{Type: "group", ID: "g" + strconv.Itoa(int(g)), Relation: "member"}
}

func userOf(u int32) tuple.User { return tuple.User{Type: "user", ID: "u" + strconv.Itoa(int(u))} }

func subject(g grant) tuple.User {
	switch g.kind {
	case kindGroup:
		return groupSet(g.id)
	case kindWildcard:
		return tuple.User{Type: "user", ID: tuple.Wildcard}
	}
	return userOf(g.id)
}

func (d *Dataset) object(o int32) tuple.Object {
	if int(o) < d.folders {
		return tuple.Object{Type: "folder", ID: folderID(o)}
	}
	return tuple.Object{Type: "doc", ID: "d" + strconv.Itoa(int(o)-d.folders)}
}

// objectIndex maps a folder or document of d to its index.
func (d *Dataset) objectIndex(o tuple.Object) (int32, bool) {
	var prefix string
	var base, limit int
	switch o.Type {
	case "folder":
		prefix, base, limit = "f", 0, d.folders
	case "doc":
		prefix, base, limit = "d", d.folders, len(d.parent)-d.folders
	default:
		return 0, false
	}
	i, ok := index(o.ID, prefix, limit)
	return int32(base + i), ok
}

// index parses prefix<i> with 0 <= i < limit.
func index(id, prefix string, limit int) (int, bool) {
	if len(id) <= len(prefix) || id[:len(prefix)] != prefix {
		return 0, false
	}
	i, err := strconv.Atoi(id[len(prefix):])
	if err != nil || i < 0 || i >= limit || strconv.Itoa(i) != id[len(prefix):] {
		return 0, false
	}
	return i, true
}
