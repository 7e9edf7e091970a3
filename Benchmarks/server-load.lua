-- The wrk script of run-server.sh: POSTs request bodies read from a file, in turn, and prints one
-- JSON line of results.
--
--   LOAD_BODIES=bodies.txt LOAD_PATH=/v1/search LOAD_SERVER=mnemap LOAD_FIGURE=search-8 \
--       wrk -t 2 -c 8 -d 10s --timeout 30s -s server-load.lua http://127.0.0.1:8765
--
-- LOAD_SERVER, LOAD_FIGURE, LOAD_CONNECTIONS: copied into the result line.
-- LOAD_BODIES: one JSON body a line; each thread starts at another line and goes round them.
-- LOAD_PATH: the path POSTed to. LOAD_UNIQUE: when set, the first "@@" of each body becomes a tag
-- unique to the request (thread and count), so that every add is a new memory.
-- The result line: {"server", "figure", "connections", "requests", "seconds", "rps", "p50", "p99"
-- (milliseconds), "errors" (answers other than 2xx or 3xx, connection errors, timeouts)}.

local threads = {}

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    bodies = {}
    for line in io.lines(os.getenv("LOAD_BODIES")) do
        if #line > 0 then bodies[#bodies + 1] = line end
    end
    path = os.getenv("LOAD_PATH")
    unique = os.getenv("LOAD_UNIQUE") ~= nil
    headers = { ["Content-Type"] = "application/json" }
    count = 0
    start = (id * 37) % #bodies
end

function request()
    count = count + 1
    local body = bodies[(start + count) % #bodies + 1]
    if unique then
        body = body:gsub("@@", id .. "-" .. count .. "-" .. os.time(), 1)
    end
    return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
    local errors = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    local seconds = summary.duration / 1e6
    io.write(string.format(
        '{"server": "%s", "figure": "%s", "connections": %d, "requests": %d, "seconds": %.2f, "rps": %.1f, "p50": %.3f, "p99": %.3f, "errors": %d}\n',
        os.getenv("LOAD_SERVER"), os.getenv("LOAD_FIGURE"), tonumber(os.getenv("LOAD_CONNECTIONS") or "0"),
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
