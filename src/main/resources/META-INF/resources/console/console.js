// Strand console: plain ES2020, no build step, no library. Talks to the same API a client does.
'use strict';

const PAGE = 20;
const TAIL_KEEP = 200; // newest tail entries kept on the page; older ones are dropped
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ token and requests

const tokenKey = 'strand.token';
const token = () => sessionStorage.getItem(tokenKey);

function say(text, isError) {
  const m = $('message');
  m.textContent = text || '';
  m.className = isError ? 'error' : '';
}

function askForToken(reason) {
  $('token-reason').textContent = reason;
  $('token-input').value = '';
  if (!$('token-dialog').open) {
    $('token-dialog').showModal();
  }
}

$('token-button').addEventListener('click', () => askForToken('A bearer token for this server (strand.auth.tokens-file).'));
$('token-form').addEventListener('submit', (e) => {
  const action = e.submitter ? e.submitter.value : 'save';
  if (action === 'clear') {
    sessionStorage.removeItem(tokenKey);
  } else if ($('token-input').value.trim()) {
    sessionStorage.setItem(tokenKey, $('token-input').value.trim());
  }
  route();
});

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
  }
}

/** fetch with the token; a problem answer becomes an ApiError (a 401 asks for a token). */
async function api(path, options = {}) {
  const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
  if (token()) {
    headers.Authorization = 'Bearer ' + token();
  }
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (response.ok) {
    return { status: response.status, body, headers: response.headers };
  }
  const problem = typeof body === 'object' ? body : { detail: body };
  if (response.status === 401) {
    if (problem.type === 'urn:strand:problem:protected-mode') {
      say(problem.detail, true);
    } else {
      askForToken(token() ? 'The token was refused: ' + problem.detail : 'This server wants a bearer token.');
    }
  }
  throw new ApiError(response.status, problem);
}

function fail(e) {
  say(e instanceof ApiError ? e.status + ': ' + e.message : String(e), true);
}

const enc = encodeURIComponent;

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.appendChild(td);
  return td;
}

function button(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'link';
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

// ------------------------------------------------------------------ streams and events

const streams = { next: null, selected: null, eventsNext: null };

async function loadStreams(from) {
  try {
    const { body } = await api('/streams?limit=' + PAGE + (from ? '&from=' + from : ''));
    const tbody = $('stream-table').querySelector('tbody');
    tbody.replaceChildren();
    for (const s of body.streams) {
      const row = document.createElement('tr');
      cell(row, '').appendChild(button(s.name, () => selectStream(s.name)));
      cell(row, s.firstVersion);
      cell(row, s.lastVersion);
      tbody.appendChild(row);
    }
    if (body.streams.length === 0) {
      const row = document.createElement('tr');
      cell(row, body.next === null ? 'No streams (that this token may read).' : 'None on this page: try the next.').colSpan = 3;
      tbody.appendChild(row);
    }
    streams.next = body.next;
    $('streams-next').disabled = body.next === null;
    say('');
  } catch (e) {
    fail(e);
  }
}

async function selectStream(name, from) {
  streams.selected = name;
  $('stream-detail').hidden = false;
  $('stream-name').textContent = name;
  try {
    const { body } = await api('/streams/' + enc(name) + '?limit=' + PAGE + (from ? '&from=' + from : ''));
    const tbody = $('event-table').querySelector('tbody');
    tbody.replaceChildren();
    for (const ev of body.events) {
      const row = document.createElement('tr');
      cell(row, '').appendChild(button(String(ev.version), () => showEvent(ev)));
      cell(row, ev.type);
      cell(row, ev.timestamp);
      tbody.appendChild(row);
    }
    streams.eventsNext = body.next;
    $('events-next').disabled = body.next === null || body.next === undefined;
    if (body.events.length) {
      showEvent(body.events[0]);
    }
  } catch (e) {
    fail(e);
  }
}

function showEvent(ev) {
  $('event-title').textContent = 'Event ' + ev.stream + '/' + ev.version;
  $('event-json').textContent = JSON.stringify(ev, null, 2);
}

$('streams-first').addEventListener('click', () => loadStreams(null));
$('streams-next').addEventListener('click', () => streams.next !== null && loadStreams(streams.next));
$('events-first').addEventListener('click', () => selectStream(streams.selected));
$('events-next').addEventListener('click', () => selectStream(streams.selected, streams.eventsNext));
$('events-tail').addEventListener('click', () => {
  $('tail-stream').value = streams.selected;
  location.hash = '#tail';
  startTail();
});

// ------------------------------------------------------------------ live tail (EventSource)

const tail = { source: null, stream: null, last: null, paused: false, received: 0 };

function tailUrl(stream, from) {
  const params = new URLSearchParams();
  if (from !== null && from !== undefined) {
    params.set('from', from);
  }
  if (token()) {
    params.set('access_token', token()); // EventSource cannot send Authorization
  }
  const path = stream === '$all' ? '/all' : '/streams/' + enc(stream);
  const query = params.toString();
  return path + (query ? '?' + query : '');
}

function stopTail() {
  if (tail.source) {
    tail.source.close();
    tail.source = null;
  }
}

function openTail(from) {
  stopTail();
  const skip = tail.stream === '$all' && tail.last !== null ? String(tail.last) : null;
  const source = new EventSource(tailUrl(tail.stream, from));
  tail.source = source;
  source.onopen = () => {
    $('tail-state').textContent = 'Live: ' + tail.stream + ' (' + tail.received + ' events so far).';
  };
  source.onmessage = (m) => {
    if (skip !== null && m.lastEventId === skip) {
      return; // resuming $all from a position repeats the last event seen
    }
    tail.last = m.lastEventId;
    tail.received++;
    const ev = JSON.parse(m.data);
    const li = document.createElement('li');
    li.appendChild(button(ev.stream + '/' + ev.version + ' ' + ev.type, () => {
      location.hash = '#streams';
      selectStream(ev.stream);
      showEvent(ev);
    }));
    $('tail-list').prepend(li);
    while ($('tail-list').childElementCount > TAIL_KEEP) {
      $('tail-list').lastElementChild.remove();
    }
    $('tail-state').textContent = 'Live: ' + tail.stream + ' (' + tail.received + ' events so far).';
  };
  source.addEventListener('problem', (m) => {
    const p = JSON.parse(m.data);
    $('tail-state').textContent = 'Stopped: ' + p.detail;
    stopTail();
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      $('tail-state').textContent = 'Closed by the server (a refused token or origin?).';
      stopTail();
    } else {
      $('tail-state').textContent = 'Reconnecting...';
    }
  };
}

function startTail() {
  tail.stream = $('tail-stream').value.trim() || '$all';
  tail.last = null;
  tail.received = 0;
  tail.paused = false;
  $('tail-list').replaceChildren();
  $('tail-pause').disabled = false;
  $('tail-pause').textContent = 'Pause';
  $('tail-pause').setAttribute('aria-pressed', 'false');
  const from = $('tail-from').value === 'end' ? 'end' : null;
  openTail(from);
}

$('tail-form').addEventListener('submit', (e) => {
  e.preventDefault();
  startTail();
});
$('tail-pause').addEventListener('click', () => {
  if (!tail.paused) {
    stopTail(); // paused: no connection, no memory; the position is all that is kept
    tail.paused = true;
    $('tail-pause').textContent = 'Resume';
    $('tail-pause').setAttribute('aria-pressed', 'true');
    $('tail-state').textContent = 'Paused after ' + (tail.last === null ? 'nothing yet' : 'id ' + tail.last) + '.';
    return;
  }
  tail.paused = false;
  $('tail-pause').textContent = 'Pause';
  $('tail-pause').setAttribute('aria-pressed', 'false');
  if (tail.last === null) {
    openTail('end');
  } else if (tail.stream === '$all') {
    openTail(tail.last); // a position: the first frame repeats it and is skipped
  } else {
    openTail(Number(tail.last) + 1); // a version
  }
});

// ------------------------------------------------------------------ append

$('append-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  let data;
  try {
    data = JSON.parse($('append-data').value);
  } catch (err) {
    $('append-result').textContent = 'The data is not JSON: ' + err.message;
    $('append-data').focus();
    return;
  }
  const headers = { 'Content-Type': 'application/json' };
  if ($('append-expected').value.trim()) {
    headers['Expected-Version'] = $('append-expected').value.trim();
  }
  const stream = $('append-stream').value.trim();
  try {
    const r = await api('/streams/' + enc(stream), {
      method: 'POST', headers, body: JSON.stringify({ type: $('append-type').value.trim(), data }),
    });
    $('append-result').textContent = r.status + ' ' + (r.headers.get('Location') || '') + '\n' + JSON.stringify(r.body, null, 2);
  } catch (err) {
    $('append-result').textContent = err.status + ' ' + JSON.stringify(err.problem, null, 2);
  }
});

// ------------------------------------------------------------------ groups

function groupPath() {
  return '/groups/' + enc($('group-name').value.trim()) + '/streams/' + enc($('group-stream').value.trim());
}

$('group-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const r = await api(groupPath());
    $('group-result').textContent = JSON.stringify(r.body, null, 2);
  } catch (err) {
    $('group-result').textContent = err.status + ' ' + JSON.stringify(err.problem, null, 2);
  }
});
$('group-set').addEventListener('click', async () => {
  if (!$('group-form').reportValidity()) {
    return;
  }
  try {
    const r = await api(groupPath(), {
      method: 'PUT', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ version: Number($('group-version').value) }),
    });
    $('group-result').textContent = r.status + ': position set';
  } catch (err) {
    $('group-result').textContent = err.status + ' ' + JSON.stringify(err.problem, null, 2);
  }
});

// ------------------------------------------------------------------ status and cluster

function describe(list, entries) {
  list.replaceChildren();
  for (const [k, v] of entries) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    list.append(dt, dd);
  }
}

async function loadStatus() {
  // Health answers 503 with the same JSON when DOWN: read it either way.
  const response = await fetch('/q/health/ready', { headers: { Accept: 'application/json' } });
  const health = await response.json();
  const entries = [['readiness', health.status]];
  for (const check of health.checks || []) {
    entries.push([check.name, check.status]);
    for (const [k, v] of Object.entries(check.data || {})) {
      entries.push([k, v]);
    }
  }
  describe($('status-list'), entries);
  const clustered = (health.checks || []).some((c) => c.data && 'role' in c.data);
  $('nav-cluster').hidden = !clustered;
  return clustered;
}

async function loadCluster() {
  try {
    const { body } = await api('/cluster');
    describe($('cluster-list'), Object.entries(body).filter(([k]) => k !== 'peers'));
    const tbody = $('peer-table').querySelector('tbody');
    tbody.replaceChildren();
    for (const p of body.peers || []) {
      const row = document.createElement('tr');
      cell(row, p.id + (p.id === body.leader ? ' (leader)' : ''));
      cell(row, p.raftAddress);
      cell(row, p.httpAddress);
      tbody.appendChild(row);
    }
  } catch (e) {
    fail(e);
  }
}

$('status-refresh').addEventListener('click', () => loadStatus().catch(fail));

async function loadSharedGroups() {
  const tbody = $('shared-table').querySelector('tbody');
  try {
    const { body } = await api('/groups');
    tbody.replaceChildren();
    for (const g of body.groups) {
      const row = document.createElement('tr');
      cell(row, g.name);
      cell(row, g.stream + (g.filter.type.length || g.filter.streamPrefix.length ? ' (filtered)' : ''));
      for (const k of ['consumers', 'inFlight', 'parked', 'lag', 'acked']) {
        cell(row, String(g[k]));
      }
      tbody.appendChild(row);
    }
    $('shared-note').textContent = body.groups.length ? '' : 'No shared groups: create one with PUT /groups/{group}.';
  } catch (err) {
    tbody.replaceChildren();
    $('shared-note').textContent = err.status + ' ' + ((err.problem && err.problem.detail) || '');
  }
}

$('shared-refresh').addEventListener('click', () => loadSharedGroups());

// ------------------------------------------------------------------ views

const views = ['streams', 'tail', 'append', 'groups', 'status', 'cluster'];

function route() {
  const view = views.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'streams';
  for (const v of views) {
    $('view-' + v).hidden = v !== view;
    const link = document.querySelector('a[data-view="' + v + '"]');
    if (link) {
      link.toggleAttribute('aria-current', v === view);
    }
  }
  if (view === 'streams') {
    loadStreams(null);
  } else if (view === 'status') {
    loadStatus().catch(fail);
  } else if (view === 'cluster') {
    loadCluster();
  } else if (view === 'groups') {
    loadSharedGroups();
  }
}

window.addEventListener('hashchange', route);
loadStatus().catch(() => {}); // shows the cluster entry when replication is on
route();
