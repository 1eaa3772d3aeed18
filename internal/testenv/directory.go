package testenv

// DirectoryTypes are the directory's types (user, workspace, group) as
// policies/default_model.fga defines them, for tests that write a
// service's own model over the directory: "model\n  schema 1.1\n" +
// DirectoryTypes + the service's types. policies' TestDirectoryTypesFixture
// holds it to the default model.
const DirectoryTypes = `
type user
type workspace
  relations
    define owner: [user]
    define admin: [user] or owner
    define editor: [user] or admin
    define viewer: [user] or editor
    define member: viewer
type group
  relations
    define workspace: [workspace]
    define member: [user, group#member]
`
