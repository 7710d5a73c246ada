-- A renamed pod's show on the fast path, with the zone named as users know it (see zones.py).
--
-- Does what the decision service does to a GET of a resource (mutate.shown_body): in a 2xx JSON
-- answer whose last top-level `member` (`server`, `volume`...) is an object with a non-empty
-- string `id`, each of the type's zone fields directly in that object whose value is the pod's
-- zone (any string when the pod names none) becomes the user's zone. Not a byte more changes:
-- not a zone nested deeper (metadata), nor one that merely contains the pod's name. Keys are
-- compared as written (Nova and Cinder write them without escapes), values decoded. The answers
-- below a resource (`/servers/{id}/ips`...) share its route: none of Nova's or Cinder's has the
-- type's member object, so they pass as they came, as through the decision service. One
-- response handler, no request handler: a second coroutine per request would cost a third of
-- the script's time (callgrind), and the route already says the type.
--
-- ZONED (type -> {member key, {zone key = true}, {length of a key read = true}}, keys quoted
-- as in JSON) is defined above this text by zones.py. The route's filter context holds `zone`:
-- the type, the user's zone as a JSON string and the pod's zone (absent: any name), a line each.

local byte, char, find, sub = string.byte, string.char, string.find, string.sub
local floor, concat = math.floor, table.concat

local function ws(text, i)
  local c = byte(text, i)
  while c == 32 or c == 10 or c == 13 or c == 9 do
    i = i + 1
    c = byte(text, i)
  end
  return i, c
end

-- The closing quote of the string whose opening quote is at i.
local function string_end(text, i)
  local j = i
  repeat
    j = find(text, '"', j + 1, true)
    if j == nil then
      return nil
    end
    local k = j - 1
    while byte(text, k) == 92 do
      k = k - 1
    end
  until (j - k) % 2 == 1
  return j
end

-- The spans of the zone values in the last top-level member object with a non-empty string `id`
-- (key -> {opening quote, closing quote}); nil when there is none or `text` is no JSON object.
-- Strings are skipped with memchr (find); only the bytes between them are read one by one.
local function zone_spans(text, zoned)
  local member, fields, lengths = zoned[1], zoned[2], zoned[3]
  local n = #text
  local depth = 0 -- containers open
  local inside = false -- depth 2 is a member object
  local opening = false -- the next `{` opens a member object
  local spans, id, shown
  local i = 1
  while true do
    local q = find(text, '"', i, true) or n + 1
    for k = i, q - 1 do
      local c = byte(text, k)
      if c == 123 or c == 91 then
        depth = depth + 1
        if opening and depth == 2 then
          inside, opening, spans, id = true, false, {}, false
        end
      elseif c == 125 or c == 93 then
        if inside and depth == 2 then
          inside = false
          shown = id and spans or nil
        end
        depth = depth - 1
        if depth == 0 then
          return not find(text, "[^ \t\r\n]", k + 1) and shown or nil
        end
      elseif depth == 0 and c ~= 32 and c ~= 10 and c ~= 13 and c ~= 9 then
        return nil
      end
    end
    if q > n or depth == 0 then
      return nil
    end
    local e = string_end(text, q)
    if e == nil then
      return nil
    end
    i = e + 1
    if (depth == 1 or (inside and depth == 2)) and lengths[e - q + 1] then
      local colon, c = ws(text, i)
      if c == 58 then
        local key = sub(text, q, e)
        local v, kind = ws(text, colon + 1)
        if depth == 1 then
          if key == member then
            opening = kind == 123
            shown = nil
          end
        elseif key == '"id"' then
          id = kind == 34 and byte(text, v + 1) ~= 34
        elseif fields[key] then
          spans[key] = nil
          if kind == 34 then
            local stop = string_end(text, v)
            if stop == nil then
              return nil
            end
            spans[key] = { v, stop }
            i = stop + 1
          end
        end
      end
    end
  end
end

local ESCAPES = { [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f",
  [110] = "\n", [114] = "\r", [116] = "\t" }

local function utf8(code)
  if code < 0x80 then
    return char(code)
  elseif code < 0x800 then
    return char(0xC0 + floor(code / 64), 0x80 + code % 64)
  elseif code < 0x10000 then
    return char(0xE0 + floor(code / 4096), 0x80 + floor(code / 64) % 64, 0x80 + code % 64)
  end
  return char(0xF0 + floor(code / 262144), 0x80 + floor(code / 4096) % 64,
    0x80 + floor(code / 64) % 64, 0x80 + code % 64)
end

local function hex4(raw, i)
  local digits = sub(raw, i, i + 3)
  return digits:find("^%x%x%x%x$") and tonumber(digits, 16) or nil
end

-- The text of a JSON string's raw contents; nil when its escapes are not JSON's.
local function decoded(raw)
  if not find(raw, "\\", 1, true) then
    return raw
  end
  local out, i = {}, 1
  while true do
    local j = find(raw, "\\", i, true)
    if j == nil then
      out[#out + 1] = sub(raw, i)
      return concat(out)
    end
    out[#out + 1] = sub(raw, i, j - 1)
    local e = byte(raw, j + 1)
    if e == 117 then
      local code = hex4(raw, j + 2)
      i = j + 6
      if code == nil or (code >= 0xDC00 and code <= 0xDFFF) then
        return nil
      end
      if code >= 0xD800 and code <= 0xDBFF then
        local low = sub(raw, i, i + 1) == "\\u" and hex4(raw, i + 2)
        if not low or low < 0xDC00 or low > 0xDFFF then
          return nil
        end
        code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
        i = i + 6
      end
      out[#out + 1] = utf8(code)
    else
      local plain = ESCAPES[e]
      if plain == nil then
        return nil
      end
      out[#out + 1] = plain
      i = j + 2
    end
  end
end

local function by_start(a, b)
  return a[1] < b[1]
end

-- `text` with the pod's zone renamed in the member's zone fields; nil when nothing changes.
local function localised(text, zoned, pod, user)
  local named = false
  for _, bare in ipairs(zoned[4]) do
    if find(text, bare, 1, true) then
      named = true
      break
    end
  end
  local shown = named and zone_spans(text, zoned)
  if not shown then
    return nil
  end
  local spans = {}
  for _, span in pairs(shown) do
    local value = decoded(sub(text, span[1] + 1, span[2] - 1))
    if value == nil then
      return nil
    end
    if pod == nil or value == pod then
      spans[#spans + 1] = span
    end
  end
  if #spans == 0 then
    return nil
  end
  table.sort(spans, by_start)
  local out, from = {}, 1
  for _, span in ipairs(spans) do
    out[#out + 1] = sub(text, from, span[1] - 1)
    out[#out + 1] = user
    from = span[2] + 1
  end
  out[#out + 1] = sub(text, from)
  return concat(out)
end

function envoy_on_response(handle)
  local headers = handle:headers()
  local status = tonumber(headers:get(":status"))
  local kind = headers:get("content-type")
  if status == nil or status < 200 or status > 299 or kind == nil
      or not kind:lower():find("^application/json") then
    return
  end
  local body = handle:body()
  if body == nil then
    return
  end
  local kind, user = handle:filterContext():get("zone"):match("^([^\n]*)\n(.*)$")
  local pod
  local line = find(user, "\n", 1, true)
  if line then
    user, pod = sub(user, 1, line - 1), sub(user, line + 1)
  end
  local text = localised(body:getBytes(0, body:length()), ZONED[kind], pod, user)
  if text then
    body:setBytes(text)
  end
end
