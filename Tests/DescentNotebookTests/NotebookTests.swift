import Testing
@testable import DescentNotebook

@Suite struct NotebookTests {
    let text = """
        # %% [markdown]
        # # Title here
        #
        # Some *prose*.

        # %%
        let x = 1
        x + 1

        # %% Named cell
        print(x)
        """

    @Test func parsesCellsWithTheirKindsSourcesAndLines() {
        let notebook = Notebook(parsing: text, name: "n.dsc")
        #expect(notebook.cells.map(\.kind) == [.markdown, .code, .code])
        #expect(notebook.cells[0].source == "# Title here\n\nSome *prose*.")
        #expect(notebook.cells[1].source == "let x = 1\nx + 1")
        #expect(notebook.cells.map(\.firstLine) == [2, 7, 11])
        #expect(notebook.title == "Title here")
    }

    @Test func writesThePercentFormatBack() {
        let notebook = Notebook(parsing: text, name: "n.dsc")
        let again = Notebook(parsing: notebook.text, name: "n.dsc")
        #expect(again.cells.map(\.source) == notebook.cells.map(\.source))
        #expect(notebook.text.hasPrefix("# %% [markdown]\n# # Title here\n#\n# Some *prose*.\n\n# %%\nlet x = 1"))
    }

    @Test func aPlainScriptIsOneCodeCell() {
        let notebook = Notebook(parsing: "let a = 1\nprint(a)\n", name: "s.dsc")
        #expect(notebook.cells.count == 1 && notebook.cells[0].kind == .code && notebook.cells[0].firstLine == 1)
        #expect(notebook.title == "s.dsc")
    }

    @Test func runsCellsInOneSessionAndCapturesOutputs() {
        let notebook = Notebook(parsing: text + "\n# %%\nundefined_name\n", name: "n.dsc")
        let results = NotebookRunner().runAll(notebook)
        #expect(results[0] == nil)
        #expect(results[1]?.value == "2")
        #expect(results[2]?.printed == "1\n")
        #expect(results[3]?.error?.contains("n.dsc:13:1: error: undefined variable 'undefined_name'") == true)
    }
}
