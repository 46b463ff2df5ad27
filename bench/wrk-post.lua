-- wrk script for the HTTP benchmark (bench/http): POSTs the file named by WRK_BODY as
-- application/json on every request (wrk -s bench/wrk-post.lua URL).
local path = os.getenv("WRK_BODY")
local f = assert(io.open(path, "rb"), "WRK_BODY: cannot open " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
