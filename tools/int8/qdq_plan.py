# Which nodes of the YOLOX-Nano graph run in int8 and which tensors get a QuantizeLinear/DequantizeLinear pair:
# shared by add_outputs.py (the tensors to calibrate) and quantize.py (the tensors to quantize), so the two agree.
# Pure: a ModelProto in, names out. Uses the onnx package only (Debian: apt-get install python3-onnx).
import onnx
from onnx import helper

OPSET = 13  # QuantizeLinear/DequantizeLinear with a per-channel axis need opset 13

# Ops that run quantized when their neighbours are (onnxruntime fuses DQ -> op -> Q into QLinear* kernels).
# Conv carries nearly all the FLOPs; the rest only decide how many Q/DQ pairs sit between the convs.
DEFAULT_OPS = ("Conv",)
ALL_OPS = ("Conv", "Mul", "Sigmoid", "Add", "Concat", "MaxPool", "Resize")


def with_opset(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph declared at opset 13: every op of this export (Conv, Sigmoid, Mul, Add, Concat, Slice,
    MaxPool, Shape, Reshape, Resize, Transpose, Constant) means the same at 11 and 13 for these inputs."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for imp in out.opset_import:
        if imp.domain in ("", "ai.onnx"):
            imp.version = max(imp.version, OPSET)
    if out.ir_version < 7:
        out.ir_version = 7
    return out


def head_nodes(graph: onnx.GraphProto) -> set:
    """Names of the nodes left in float: the last convs of the cls/reg/obj branches (convs no other conv reads,
    directly or through other nodes) and every node after them."""
    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    reaches_conv = {}

    def reaches(n) -> bool:
        # does any conv read what n makes (transitively)?
        if n.name in reaches_conv:
            return reaches_conv[n.name]
        reaches_conv[n.name] = False
        found = False
        for o in n.output:
            for c in consumers.get(o, []):
                if c.op_type == "Conv" or reaches(c):
                    found = True
        reaches_conv[n.name] = found
        return found

    return {n.name for n in graph.node if not reaches(n)}


def plan(model: onnx.ModelProto, ops=DEFAULT_OPS, keep_float=()):
    """(quantized node names, float head node names, tensors to quantize in graph order). `keep_float`: names of
    further nodes to leave in float (the layers most sensitive to quantization)."""
    graph = model.graph
    initializers = {i.name for i in graph.initializer}
    constants = {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    head = head_nodes(graph)
    quantized = [n for n in graph.node if n.op_type in ops and n.name not in head and n.name not in keep_float]
    tensors = []
    seen = set()
    for n in quantized:
        # a Resize's roi/scales and a Conv's weights are not activations
        inputs = n.input[:1] if n.op_type in ("Conv", "Resize") else n.input
        for t in list(inputs) + list(n.output):
            if t and t not in initializers and t not in constants and t not in seen:
                seen.add(t)
                tensors.append(t)
    return {n.name for n in quantized}, head, tensors


def add_outputs(model: onnx.ModelProto, tensors) -> onnx.ModelProto:
    """The model with each of `tensors` also a graph output (float, shape left to the runtime)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    present = {o.name for o in out.graph.output}
    for t in tensors:
        if t not in present:
            out.graph.output.append(helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    return out
