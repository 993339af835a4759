// gorilla_hub.go: a WebSocket broadcast relay in Go, a comparison peer for `make compare-servers`.
//
// The shape users copy from gorilla/websocket's chat example: one hub goroutine owns the set of
// clients; each client has a reader goroutine that hands every text message to the hub, and a
// writer goroutine draining a buffered send channel. The hub passes each message to every
// *other* client's channel and drops (closes) a client whose channel is full — the example's
// slow-consumer rule. One difference, on purpose: the example joins queued messages into one
// frame with newlines; here each message stays its own frame, as the load clients expect.
// Loopback only. Built offline from Debian's packages (`make peers`; Benchmarks/peer_servers.py).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gorilla/websocket"
)

// sendBuffer is the example's per-client queue length: a client this far behind is dropped.
const sendBuffer = 256

type message struct {
	from *client
	data []byte
}

type client struct {
	hub  *hub
	conn *websocket.Conn
	send chan []byte
}

type hub struct {
	clients    map[*client]bool
	broadcast  chan message
	register   chan *client
	unregister chan *client
}

func (h *hub) run() {
	for {
		select {
		case c := <-h.register:
			h.clients[c] = true
		case c := <-h.unregister:
			if h.clients[c] {
				delete(h.clients, c)
				close(c.send)
			}
		case m := <-h.broadcast:
			for c := range h.clients {
				if c == m.from {
					continue
				}
				select {
				case c.send <- m.data:
				default:
					delete(h.clients, c)
					close(c.send)
				}
			}
		}
	}
}

func (c *client) readPump() {
	defer func() {
		c.hub.unregister <- c
		c.conn.Close()
	}()
	c.conn.SetReadLimit(1 << 20)
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if kind == websocket.TextMessage {
			c.hub.broadcast <- message{from: c, data: data}
		}
	}
}

func (c *client) writePump() {
	defer c.conn.Close()
	for data := range c.send {
		if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
			return
		}
	}
	c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
}

func main() {
	port := flag.Int("port", 9004, "loopback port to listen on")
	flag.Parse()
	h := &hub{clients: map[*client]bool{}, broadcast: make(chan message, 256),
		register: make(chan *client), unregister: make(chan *client)}
	go h.run()
	upgrader := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096,
		CheckOrigin: func(*http.Request) bool { return true }}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &client{hub: h, conn: conn, send: make(chan []byte, sendBuffer)}
		h.register <- c
		go c.writePump()
		go c.readPump()
	})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-signals; os.Exit(0) }()
	address := fmt.Sprintf("127.0.0.1:%d", *port)
	fmt.Printf("go gorilla peer listening on ws://%s/\n", address)
	log.Fatal(http.ListenAndServe(address, nil))
}
