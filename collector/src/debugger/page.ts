// The debugger page: one self-contained document (inline CSS, JS and SVG; no external URL).
// The script avoids template literals so that this file can hold it in one.

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,sans-serif;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:10px 16px;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0}#status{font-size:12px;opacity:.8}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:12px;padding:12px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px;min-width:0}
h2{font-size:14px;margin:0 0 8px}h3{font-size:13px;margin:12px 0 4px}
.filters{display:flex;gap:6px;flex-wrap:wrap;margin-bottom:8px}
.filters input{padding:4px 6px;border:1px solid #c5cbd5;border-radius:4px;width:120px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eceef2;
vertical-align:top;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:240px}
th{font-weight:600;color:#5b6475;font-size:12px}
#events tbody tr{cursor:pointer}#events tr.bad td{background:#fde8e8;color:#a40000}
#events tr.dup td{color:#8a8f99}
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f9;padding:6px;margin:0;max-height:240px;overflow:auto}
.wrap{max-height:70vh;overflow:auto}.muted{color:#8a8f99}svg text{font:12px system-ui,sans-serif}
`;

const SCRIPT = `
(function(){
var MAX=500,rows=[],es=null,paused=false;
var $=function(id){return document.getElementById(id)};
function esc(v){return String(v==null?'':v).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]})}
function filters(){var q=new URLSearchParams();['source','type','event','user'].forEach(function(k){var v=$('f-'+k).value.trim();if(v)q.set(k,v)});return q}
function connect(){
  if(es)es.close();
  es=new EventSource('/debugger/stream?'+filters().toString());
  es.onopen=function(){$('status').textContent='live'};
  es.onerror=function(){$('status').textContent='reconnecting…'};
  es.addEventListener('outcome',function(m){add(JSON.parse(m.data))});
  es.addEventListener('dropped',function(m){$('status').textContent='live ('+JSON.parse(m.data).dropped+' dropped: too slow)'});
}
function add(o){
  var tb=$('events').tBodies[0],tr=document.createElement('tr');
  tr.className=o.flagged?'bad':(o.kind==='duplicate'?'dup':'');
  tr.dataset.kind=o.kind;
  var t=(o.receivedAt||'').slice(11,23);
  tr.innerHTML='<td>'+esc(t)+'</td><td>'+esc(o.kind)+'</td><td>'+esc(o.source)+'</td><td>'+esc(o.type)+'</td><td>'+esc(o.event)+'</td><td>'+esc(o.userId||o.anonymousId)+'</td><td>'+esc(o.reason)+'</td>';
  tr.onclick=function(){var n=tr.nextSibling;if(n&&n.classList&&n.classList.contains('detail')){n.remove();return}
    var d=document.createElement('tr');d.className='detail';d.innerHTML='<td colspan="7"><pre></pre></td>';
    d.querySelector('pre').textContent=JSON.stringify(o.payload,null,2);tr.after(d)};
  tb.insertBefore(tr,tb.firstChild);rows.push(tr);
  while(rows.length>MAX){var old=rows.shift();var n=old.nextSibling;if(n&&n.classList&&n.classList.contains('detail'))n.remove();old.remove()}
  $('count').textContent=String(rows.length);
}
function table(el,cols,data){
  if(!data.length){el.innerHTML='<p class="muted">nothing in this window</p>';return}
  var h='<table><thead><tr>'+cols.map(function(c){return '<th>'+esc(c[0])+'</th>'}).join('')+'</tr></thead><tbody>';
  data.forEach(function(r){h+='<tr>'+cols.map(function(c){return '<td title="'+esc(c[1](r))+'">'+esc(c[1](r))+'</td>'}).join('')+'</tr>'});
  el.innerHTML=h+'</tbody></table>';
}
function funnel(steps){
  var W=460,bh=26,gap=10,lw=130,max=Math.max(1,steps[0]?steps[0].visitors:0);
  var H=steps.length*(bh+gap);
  var s='<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 '+W+' '+H+'" role="img" aria-label="purchase funnel">';
  steps.forEach(function(st,i){var y=i*(bh+gap),w=Math.max(2,(W-lw-110)*st.visitors/max);
    s+='<text x="0" y="'+(y+bh/2+4)+'">'+esc(st.step)+'</text>';
    s+='<rect x="'+lw+'" y="'+y+'" width="'+w+'" height="'+bh+'" rx="3" fill="'+(i===steps.length-1?'#1f9d55':'#3d6fd8')+'"></rect>';
    s+='<text class="funnel-label" x="'+(lw+w+6)+'" y="'+(y+bh/2+4)+'">'+st.visitors+(i?' ('+st.conversion+'%)':'')+'</text>'});
  $('funnel').innerHTML=s+'</svg>';
}
function insights(){
  var q='hours='+encodeURIComponent($('hours').value||'24')+'&abandonHours='+encodeURIComponent($('abandon').value||'1');
  fetch('/debugger/api/insights?'+q,{credentials:'same-origin'}).then(function(r){return r.json().then(function(b){return {ok:r.ok,b:b}})}).then(function(x){
    if(!x.ok){$('insights-msg').textContent=x.b.message||'insights unavailable';return}
    var d=x.b;$('insights-msg').textContent='from '+d.since.slice(0,16).replace('T',' ')+' to '+d.until.slice(0,16).replace('T',' ')+' UTC';
    funnel(d.funnel);
    table($('carts'),[['visitor',function(r){return r.userId||r.anonymousId}],['products',function(r){return r.products.map(function(p){return (p.name||p.product_id)+(p.quantity>1?' ×'+p.quantity:'')}).join(', ')}],['value',function(r){return r.value}],['last activity',function(r){return (r.lastActivity||'').slice(0,16).replace('T',' ')}]],d.abandonedCarts);
    table($('channels'),[['kind',function(r){return r.kind}],['channel',function(r){return r.channel}],['events',function(r){return r.events}],['visitors',function(r){return r.visitors}],['orders',function(r){return r.orders}]],d.channels);
    table($('shares'),[['sharer',function(r){return r.sharerId}],['share ids',function(r){return r.shareIds.join(', ')}],['shares',function(r){return r.shares}],['depth',function(r){return r.maxDepth}],['opens',function(r){return r.opens}],['orders',function(r){return r.orders}]],d.shares);
    table($('pages'),[['path',function(r){return r.path}],['views',function(r){return r.views}],['visitors',function(r){return r.visitors}]],d.topPages);
  }).catch(function(e){$('insights-msg').textContent=String(e)});
}
var t;['source','type','event','user'].forEach(function(k){$('f-'+k).addEventListener('input',function(){clearTimeout(t);t=setTimeout(connect,300)})});
$('clear').onclick=function(){rows.forEach(function(r){r.remove()});rows=[];$('events').tBodies[0].innerHTML='';$('count').textContent='0'};
$('hours').onchange=insights;$('abandon').onchange=insights;
connect();insights();setInterval(insights,10000);
})();
`;

/** The HTML of GET /debugger. */
export const DEBUGGER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>trail debugger</title><style>${STYLE}</style></head>
<body>
<header><h1>trail debugger</h1><span id="status">connecting…</span></header>
<main>
<section>
<h2>Live events <span class="muted">(<span id="count">0</span> shown, newest first; red: rejected or dropped by consent)</span></h2>
<div class="filters">
<input id="f-source" placeholder="source / write key"><input id="f-type" placeholder="type">
<input id="f-event" placeholder="event name"><input id="f-user" placeholder="user or anonymous id">
<button id="clear" type="button">clear</button>
</div>
<div class="wrap"><table id="events"><thead><tr><th>time</th><th>outcome</th><th>source</th><th>type</th><th>event</th><th>user</th><th>reason</th></tr></thead><tbody></tbody></table></div>
</section>
<section>
<h2>Insights</h2>
<div class="filters">
<label>window (h) <input id="hours" type="number" min="1" value="24" style="width:60px"></label>
<label>abandoned after (h) <input id="abandon" type="number" min="0.1" step="0.5" value="1" style="width:60px"></label>
</div>
<p id="insights-msg" class="muted">loading…</p>
<h3>Purchase funnel</h3><div id="funnel"></div>
<h3>Abandoned carts</h3><div id="carts"></div>
<h3>Channels</h3><div id="channels"></div>
<h3>Share chains</h3><div id="shares"></div>
<h3>Top pages</h3><div id="pages"></div>
</section>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
