#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PyTorch's way of printing tensors: one number format for all elements (whole numbers bare,
/// else 4 decimals, else scientific when magnitudes span too much), columns aligned, rows
/// wrapped at the line width, and tensors over 1000 elements elided to 3 items at each edge.
extension Tensor {
    static let summaryThreshold = 1000
    static let edgeItems = 3

    public func formatted(lineWidth: Int = 80) -> String {
        let opening = "tensor("
        if count == 0 {
            return rank == 1 ? "tensor([])" : "tensor([], shape=\(describe(shape)))"
        }
        let summarize = count > Tensor.summaryThreshold
        let format = NumberFormat(shownElements(summarize: summarize))
        let body = formatBlock(offset: 0, axis: 0, indent: opening.count + 1, format: format, summarize: summarize, lineWidth: lineWidth)
        return opening + body + ")"
    }

    /// The elements the printout will show, to choose one format for them.
    private func shownElements(summarize: Bool) -> [Double] {
        guard summarize else { return elements }
        var shown: [Double] = []
        let strides = contiguousStrides(shape)
        func visit(_ offset: Int, _ axis: Int) {
            if axis == rank { shown.append(storage.pointer[offset]); return }
            for i in edgeIndices(shape[axis], summarize: true) where i >= 0 { visit(offset + i * strides[axis], axis + 1) }
        }
        visit(0, 0)
        return shown
    }

    /// Positions along an axis of this size to show; -1 marks the elision.
    private func edgeIndices(_ size: Int, summarize: Bool) -> [Int] {
        let edge = Tensor.edgeItems
        guard summarize, size > 2 * edge else { return Array(0..<size) }
        return Array(0..<edge) + [-1] + Array((size - edge)..<size)
    }

    private func formatBlock(offset: Int, axis: Int, indent: Int, format: NumberFormat, summarize: Bool, lineWidth: Int) -> String {
        if rank == 0 { return format.text(storage.pointer[0]) }
        let stride = contiguousStrides(shape)[axis]
        let positions = edgeIndices(shape[axis], summarize: summarize)
        if axis == rank - 1 {
            let items = positions.map { $0 < 0 ? String(repeating: " ", count: max(format.width - 3, 0)) + "..." : format.text(storage.pointer[offset + $0 * stride]) }
            let perLine = max(1, (lineWidth - indent) / (format.width + 2))
            var lines: [String] = []
            var start = 0
            while start < items.count {
                lines.append(items[start..<min(start + perLine, items.count)].joined(separator: ", "))
                start += perLine
            }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent)) + "]"
        }
        let separator = ",\n" + String(repeating: "\n", count: rank - axis - 2) + String(repeating: " ", count: indent)
        let rows = positions.map { i -> String in
            i < 0 ? "..." : formatBlock(offset: offset + i * stride, axis: axis + 1, indent: indent + 1, format: format, summarize: summarize, lineWidth: lineWidth)
        }
        return "[" + rows.joined(separator: separator) + "]"
    }
}

/// The one format a printout uses for all its numbers.
private struct NumberFormat {
    enum Style { case whole, fixed, scientific }
    let style: Style
    let width: Int

    init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        let magnitudes = finite.map(Swift.abs).filter { $0 != 0 }
        let largest = magnitudes.max() ?? 0, smallest = magnitudes.min() ?? 0
        if finite.allSatisfy({ $0 == $0.rounded() }) {
            style = largest > 1e8 ? .scientific : .whole
        } else if largest / smallest > 1000 || largest > 1e8 || smallest < 1e-4 {
            style = .scientific
        } else {
            style = .fixed
        }
        // As PyTorch's formatter: only nonzero finite values set the column width; zeros, inf
        // and nan are padded to it (`tensor([-1., inf])`, `tensor([-inf, inf])`).
        let probe = NumberFormat(style: style, width: 0)
        width = magnitudes.isEmpty ? 1 : finite.filter { $0 != 0 }.map { probe.text($0).count }.max() ?? 1
    }

    private init(style: Style, width: Int) { self.style = style; self.width = width }

    func text(_ x: Double) -> String {
        let plain: String
        if x.isNaN { plain = "nan" }
        else if x.isInfinite { plain = x < 0 ? "-inf" : "inf" }
        else {
            switch style {
            case .whole: plain = x == 0 && x.sign == .minus ? "-0" : String(Int64(x))
            case .fixed: plain = cFormat("%.4f", x)
            case .scientific: plain = cFormat("%.4e", x)
            }
        }
        return String(repeating: " ", count: max(width - plain.count, 0)) + plain
    }

    private func cFormat(_ pattern: String, _ x: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buffer, buffer.count, pattern, $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
