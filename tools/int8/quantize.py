#!/usr/bin/python3
# Step 3 of the int8 recipe (tools/int8/README.md): writes the QDQ model. Weights int8, symmetric, per output
# channel; conv biases int32 at input scale x weight scale; activations uint8 (asymmetric, per tensor) over the
# ranges calibrate.ts measured; the detection head (the last cls/reg/obj convs and everything after them) in
# float. onnxruntime fuses each DequantizeLinear -> Conv -> QuantizeLinear into a QLinearConv when it loads it.
#   /usr/bin/python3 tools/int8/quantize.py models/yolox_nano.onnx .cache/int8/ranges.json .cache/int8/yolox_nano_int8.onnx \
#       [--ops Conv] [--float .cache/int8/sensitivity.txt --float-top 64]
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

from qdq_plan import ALL_OPS, DEFAULT_OPS, plan, with_opset


def activation_params(lo: float, hi: float):
    """uint8 scale and zero point for [lo, hi] (which holds 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def weight_params(w: np.ndarray):
    """int8 per-output-channel symmetric: (quantized weights, scales)."""
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.round(w / scale.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
    return q, scale


def quantize(model: onnx.ModelProto, ranges: dict, ops, keep_float=()) -> onnx.ModelProto:
    model = with_opset(model)
    graph = model.graph
    quantized, head, tensors = plan(model, ops, keep_float)
    missing = [t for t in tensors if t not in ranges]
    if missing:
        raise SystemExit(f"ranges.json has no range for {len(missing)} tensors (first: {missing[0]}): calibrate with the same --ops")
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    new_inits = []
    new_nodes = {}  # tensor -> [Q, DQ] nodes to insert after its producer
    act = {}  # tensor -> (scale name, zero point name, scale value)

    for t in tensors:
        scale, zp = activation_params(*ranges[t])
        s_name, z_name, q_out, dq_out = f"{t}_scale", f"{t}_zero_point", f"{t}_quantized", f"{t}_dequantized"
        new_inits += [numpy_helper.from_array(np.array(scale, dtype=np.float32), s_name), numpy_helper.from_array(np.array(zp, dtype=np.uint8), z_name)]
        new_nodes[t] = [
            helper.make_node("QuantizeLinear", [t, s_name, z_name], [q_out], name=f"{t}_QuantizeLinear"),
            helper.make_node("DequantizeLinear", [q_out, s_name, z_name], [dq_out], name=f"{t}_DequantizeLinear"),
        ]
        act[t] = (s_name, z_name, float(scale))

    weight_dq = {}  # conv node name -> [DQ nodes of its weight and bias]
    for n in graph.node:
        if n.name not in quantized:
            continue
        # activations: a quantized node reads the dequantized copy
        for i, t in enumerate(n.input):
            if t in act and not (n.op_type in ("Conv", "Resize") and i > 0):
                n.input[i] = f"{t}_dequantized"
        if n.op_type != "Conv":
            continue
        w = numpy_helper.to_array(inits[n.input[1]])
        q, w_scale = weight_params(w)
        base = n.name.strip("/").replace("/", "_")
        wq, ws, wz = f"{base}_W_quantized", f"{base}_W_scale", f"{base}_W_zero_point"
        new_inits += [numpy_helper.from_array(q, wq), numpy_helper.from_array(w_scale, ws), numpy_helper.from_array(np.zeros(len(w_scale), dtype=np.int8), wz)]
        dqs = [helper.make_node("DequantizeLinear", [wq, ws, wz], [f"{base}_W_dequantized"], name=f"{base}_W_DequantizeLinear", axis=0)]
        n.input[1] = f"{base}_W_dequantized"
        if len(n.input) > 2 and n.input[2]:
            b = numpy_helper.to_array(inits[n.input[2]])
            x_scale = act[n.input[0].removesuffix("_dequantized")][2]
            b_scale = (w_scale * np.float32(x_scale)).astype(np.float32)
            bq = np.round(b / b_scale).astype(np.int32)
            bqn, bs, bz = f"{base}_B_quantized", f"{base}_B_scale", f"{base}_B_zero_point"
            new_inits += [numpy_helper.from_array(bq, bqn), numpy_helper.from_array(b_scale, bs), numpy_helper.from_array(np.zeros(len(b_scale), dtype=np.int32), bz)]
            dqs.append(helper.make_node("DequantizeLinear", [bqn, bs, bz], [f"{base}_B_dequantized"], name=f"{base}_B_DequantizeLinear", axis=0))
            n.input[2] = f"{base}_B_dequantized"
        weight_dq[n.name] = dqs

    # a tensor made by a quantized node is read by everyone through its Q/DQ pair (so onnxruntime can fuse the
    # producer into a QLinear kernel); a float node's output keeps its float readers
    for n in graph.node:
        if n.name in quantized:
            continue
        for i, t in enumerate(n.input):
            if t in act and t in producer and producer[t].name in quantized:
                n.input[i] = f"{t}_dequantized"

    # rebuild the node list in topological order: weight DQs before their conv, Q/DQ right after a tensor's maker
    nodes = []
    for t in tensors:
        if t not in producer:  # a graph input
            nodes += new_nodes[t]
    for n in graph.node:
        nodes += weight_dq.get(n.name, [])
        nodes.append(n)
        for o in n.output:
            nodes += new_nodes.get(o, [])
    used = {i for n in nodes for i in n.input}
    kept_inits = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept_inits + new_inits)
    del graph.value_info[:]
    return model


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model", help="the fp32 YOLOX-Nano (models/yolox_nano.onnx)")
    p.add_argument("ranges", help="ranges.json from calibrate.ts")
    p.add_argument("out", help="the int8 (QDQ) model to write")
    p.add_argument("--ops", default=",".join(DEFAULT_OPS), help=f"ops to run in int8, of {','.join(ALL_OPS)} (as given to add_outputs.py)")
    p.add_argument("--float", default="", help="further nodes to keep in float: a file with one node name a line (sensitivity.ts writes one)")
    p.add_argument("--float-top", type=int, default=None, help="only the first N names of the --float file")
    a = p.parse_args()
    ops = tuple(o for o in a.ops.split(",") if o)
    with open(a.ranges) as f:
        ranges = json.load(f)["tensors"]
    keep_float = ()
    if a.float:
        with open(a.float) as f:
            keep_float = tuple(line.strip() for line in f if line.strip() and not line.startswith("#"))[: a.float_top]
    model = quantize(onnx.load(a.model), ranges, ops, keep_float)
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    print(f"wrote {a.out} ({len(keep_float)} nodes kept in float besides the head)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
