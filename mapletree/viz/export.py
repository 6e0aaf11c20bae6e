"""Static export: one self-contained HTML walkthrough of a recorded scenario.

``python -m mapletree export SCENARIO -o walk.html`` writes a page holding
every frame's SVG inline, the narration, and a few lines of JavaScript for
prev/next, a slider, Play, keyboard arrows and jumps between events of
interest. It needs no network and no kernel. ``--list`` names the scenarios.
"""

from __future__ import annotations

import argparse
import html
import json
import sys

from .graph import Layout
from .record import Frame, Recorder

_CSS = """
body{font-family:sans-serif;margin:1em 2em;color:#111}
h1{font-size:1.3em;margin:.2em 0}
.desc{color:#444;max-width:70em}
#controls{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd;
 display:flex;gap:.5em;align-items:center;flex-wrap:wrap;z-index:2}
button{font-size:1em;padding:.2em .7em}
#narr{margin:.5em 0;min-height:3.6em}
#chain{font-family:monospace;color:#555;margin-left:.6em}
#kind{background:#eef;border:1px solid #ccd;border-radius:3px;padding:0 .3em}
#text{font-size:1.1em;margin-top:.25em}
.frame{display:none}.frame.on{display:block}
.frame{overflow:auto}
body.fit .frame svg{max-width:100%;height:auto}
#count{font-weight:bold;min-width:9em}
#strip{display:flex;gap:1px;margin:.4em 0;flex-wrap:wrap}
#strip span{width:9px;height:14px;background:#e4e4e4;cursor:pointer;border-radius:1px}
#strip span.ev{background:#9ecae1}#strip span.failure{background:#d7191c}
#strip span.marker{background:#000}#strip span.teardown{background:#969696}
#strip span.node_copy{background:#2166ac}#strip span.split,#strip span.spanning,
#strip span.rebalance{background:#e66101}#strip span.fork{background:#74c476}
#strip span.on{outline:2px solid #000;outline-offset:1px}
"""

_JS = """
(function(){
var F=document.querySelectorAll('.frame'),N=F.length,D=JSON.parse(
document.getElementById('meta').textContent),k=0,timer=null;
var s=document.getElementById('slider'),c=document.getElementById('count'),
n=document.getElementById('text'),h=document.getElementById('chain'),
kd=document.getElementById('kind'),pb=document.getElementById('play');
var T=document.getElementById('strip'),M=[];for(var q=0;q<N;q++){
var m=document.createElement('span');m.className=(D.ev[q]?'ev ':'')+D.k[q];
m.title=(q+1)+': '+D.k[q];(function(q){m.onclick=function(){stop();show(q);};})(q);
T.appendChild(m);M.push(m);}
function show(i){k=Math.max(0,Math.min(N-1,i));for(var j=0;j<N;j++){
F[j].className=j==k?'frame on':'frame';M[j].classList.toggle('on',j==k);}s.value=k;
c.textContent='step '+(k+1)+' of '+N;n.textContent=D.text[k];h.textContent=D.chain[k];
kd.textContent=D.kind[k];document.body.setAttribute('data-step',k);}
function ev(d){var i=k+d;while(i>=0&&i<N&&!D.ev[i])i+=d;show(i<0?0:i>=N?N-1:i);}
function stop(){if(timer){clearInterval(timer);timer=null;pb.textContent='play';}}
function play(){if(timer){stop();return;}if(k>=N-1)show(0);pb.textContent='pause';
timer=setInterval(function(){show(k+1);if(k>=N-1)stop();},
+document.getElementById('speed').value);}
document.getElementById('prev').onclick=function(){stop();show(k-1);};
document.getElementById('next').onclick=function(){stop();show(k+1);};
document.getElementById('pev').onclick=function(){stop();ev(-1);};
document.getElementById('nev').onclick=function(){stop();ev(1);};
pb.onclick=play;s.oninput=function(){stop();show(+s.value);};
var fit=document.getElementById('fit');fit.onchange=function(){
document.body.classList.toggle('fit',fit.checked);};document.body.classList.add('fit');
document.addEventListener('keydown',function(e){if(e.key=='ArrowRight'||e.key==' '){
e.preventDefault();stop();show(k+1);}else if(e.key=='ArrowLeft'){stop();show(k-1);}});
show(0);})();
"""


def page_html(frames, title="maple tree walkthrough", description="", layout=None):
    """The HTML text of a self-contained walkthrough of ``frames``."""
    if isinstance(frames, Recorder):
        frames = frames.frames
    frames = list(frames)
    if not frames or not all(isinstance(f, Frame) for f in frames):
        raise ValueError("page_html needs a non-empty list of frames")
    layout = layout or Layout(frames)
    esc = html.escape
    meta = {"text": [f.text for f in frames],
            "chain": [f.chain_text for f in frames],
            "kind": [f"{f.kind}" + (f" · {f.op}" if f.op else "") for f in frames],
            "ev": [1 if f.interesting else 0 for f in frames],
            "k": [f.kind for f in frames]}
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{esc(title)}</h1>"]
    if description:
        parts.append(f'<p class="desc">{esc(description)}</p>')
    n = len(frames)
    parts.append(
        '<div id="controls">'
        '<button id="play">play</button><button id="prev">◀ prev</button>'
        '<button id="next">next ▶</button>'
        f'<input id="slider" type="range" min="0" max="{n - 1}" value="0" style="width:20em">'
        '<span id="count"></span>'
        '<button id="pev">« event</button><button id="nev">event »</button>'
        '<label>ms/step <select id="speed"><option value="1500">1500</option>'
        '<option value="800" selected>800</option><option value="300">300</option>'
        '<option value="100">100</option></select></label>'
        '<label><input id="fit" type="checkbox" checked> fit width</label></div>')
    parts.append('<div id="strip" title="one mark per step; click to jump"></div>')
    parts.append('<div id="narr"><div><code id="kind"></code> <span id="chain"></span></div>'
                 '<div id="text"></div></div>')
    for i in range(n):
        parts.append(f'<div class="frame" id="frame{i}">{layout.svg(i)}</div>')
    meta_json = json.dumps(meta).replace("</", "<\\/")
    parts.append(f'<script type="application/json" id="meta">{meta_json}</script>')
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts) + "\n"


def export(name, path, **opts):
    """Record scenario ``name`` and write its walkthrough to ``path``; returns frame count."""
    from mapletree import scenarios
    sc = scenarios.get(name)
    frames = sc.frames(**opts)
    text = page_html(frames, title=sc.title, description=sc.description)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return len(frames)


def main(argv=None) -> int:
    """``python -m mapletree export SCENARIO -o FILE`` / ``--list``."""
    from mapletree import scenarios
    ap = argparse.ArgumentParser(prog="python -m mapletree export",
                                 description="Write a self-contained HTML walkthrough.")
    ap.add_argument("scenario", nargs="?", help="scenario name (see --list)")
    ap.add_argument("-o", "--output", help="output HTML file (default SCENARIO.html)")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = ap.parse_args(argv)
    if args.list:
        for sc in scenarios.available():
            print(f"{sc.name:<24} {sc.title}")
        return 0
    if not args.scenario:
        ap.print_usage(sys.stderr)
        print("export: a scenario name is required (try --list)", file=sys.stderr)
        return 2
    try:
        scenarios.get(args.scenario)
    except LookupError as exc:
        print(f"export: {exc.args[0]}", file=sys.stderr)
        return 2
    out = args.output or f"{args.scenario}.html"
    try:
        n = export(args.scenario, out)
    except scenarios.ScenarioUnavailable as exc:
        print(f"export: scenario {args.scenario} cannot run here: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}: {n} frames")
    return 0
