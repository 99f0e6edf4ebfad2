// docker-credential-signet-test: a docker credential helper for signet's tests. The protocol is upstream's own
// (github.com/docker/docker-credential-helpers/credentials.Serve); the secrets live in a JSON file under $HOME,
// so a test gives each signet process its own store through the HOME it runs with.
//
// $HOME/signet-test-helper.json:
//
//	{"servers": {"127.0.0.1:5000": {"Username": "u", "Secret": "p"}, "hang.test": {"Behaviour": "hang"}},
//	 "behaviour": "serve"}
//
// behaviour (for every server, or one server's Behaviour): "serve" (default) answers from "servers"; the fault
// modes exercise signet's bounds: "hang" never answers, "flood" writes 8 MiB to stdout, "fail" exits 3 with a
// message on stdout as upstream helpers do.
// Every call appends one JSON line to $HOME/signet-test-helper.calls: the action, the server URL read from stdin
// for `get`, and the names of the environment variables the helper was started with.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"
)

type entry struct {
	Username  string
	Secret    string
	Behaviour string `json:",omitempty"`
}

type store struct {
	Servers   map[string]entry `json:"servers"`
	Behaviour string           `json:"behaviour"`
}

func home() string { return os.Getenv("HOME") }

func storePath() string { return filepath.Join(home(), "signet-test-helper.json") }

func load() (store, error) {
	s := store{Servers: map[string]entry{}}
	data, err := os.ReadFile(storePath())
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", storePath(), err)
	}
	if s.Servers == nil {
		s.Servers = map[string]entry{}
	}
	return s, nil
}

func save(s store) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return os.WriteFile(storePath(), data, 0o600)
}

// fileHelper is a credentials.Helper over the JSON store.
type fileHelper struct{}

func (fileHelper) Add(c *credentials.Credentials) error {
	s, err := load()
	if err != nil {
		return err
	}
	s.Servers[c.ServerURL] = entry{Username: c.Username, Secret: c.Secret}
	return save(s)
}

func (fileHelper) Delete(serverURL string) error {
	s, err := load()
	if err != nil {
		return err
	}
	if _, ok := s.Servers[serverURL]; !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	delete(s.Servers, serverURL)
	return save(s)
}

func (fileHelper) Get(serverURL string) (string, string, error) {
	s, err := load()
	if err != nil {
		return "", "", err
	}
	e, ok := s.Servers[serverURL]
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return e.Username, e.Secret, nil
}

func (fileHelper) List() (map[string]string, error) {
	s, err := load()
	if err != nil {
		return nil, err
	}
	users := map[string]string{}
	for url, e := range s.Servers {
		users[url] = e.Username
	}
	return users, nil
}

// recordCall logs one call and returns the server URL; for `get` it reads the URL from stdin first and hands
// the rest of the protocol a reader that replays it.
func recordCall() string {
	action := ""
	if len(os.Args) > 1 {
		action = os.Args[1]
	}
	server := ""
	if action == "get" {
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		server = strings.TrimSpace(line)
		replay, writer, err := os.Pipe()
		if err == nil {
			_, _ = writer.WriteString(server + "\n")
			_ = writer.Close()
			os.Stdin = replay
		}
	}
	names := []string{}
	for _, kv := range os.Environ() {
		names = append(names, strings.SplitN(kv, "=", 2)[0])
	}
	sort.Strings(names)
	record, _ := json.Marshal(map[string]any{"action": action, "server": server, "env": names})
	file, err := os.OpenFile(filepath.Join(home(), "signet-test-helper.calls"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		_, _ = file.Write(append(record, '\n'))
		_ = file.Close()
	}
	return server
}

func main() {
	server := recordCall()
	s, err := load()
	if err != nil {
		fmt.Fprintln(os.Stdout, err)
		os.Exit(1)
	}
	behaviour := s.Behaviour
	if e, ok := s.Servers[server]; ok && e.Behaviour != "" {
		behaviour = e.Behaviour
	}
	switch behaviour {
	case "hang":
		for {
			time.Sleep(time.Hour)
		}
	case "flood":
		chunk := []byte(strings.Repeat("x", 64*1024))
		for i := 0; i < 128; i++ {
			if _, err := os.Stdout.Write(chunk); err != nil {
				os.Exit(1)
			}
		}
		os.Exit(0)
	case "fail":
		fmt.Fprintln(os.Stdout, "signet-test helper: the credential backend is unavailable")
		os.Exit(3)
	}
	credentials.Serve(fileHelper{})
}
