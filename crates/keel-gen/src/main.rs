//! keel-gen: compiles a TOML description into keel's binary config, shows binary configs as
//! TOML, and embeds a config into a keel binary. The compilers are the library (lib.rs);
//! this is the command line and the file handling.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use keel_gen::{Built, Source};

/// Build, inspect and embed keel's binary configs.
#[derive(Parser)]
#[command(name = "keel-gen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a TOML config (see examples/*.toml) into keel's binary format.
    Build {
        /// The TOML config, or - for stdin.
        input: PathBuf,
        /// Where to write the binary config, or - for stdout.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print a binary config, or the config embedded in a keel binary, as TOML that
    /// `build` turns back into the same bytes.
    ///
    /// With --keel, print the optional parts a keel binary was built with instead.
    Inspect {
        /// A config made by `build`, or a keel binary; - for stdin.
        #[arg(required_unless_present = "keel", conflicts_with = "keel")]
        file: Option<PathBuf>,
        /// A keel binary whose optional parts (cargo features) to show.
        #[arg(long)]
        keel: Option<PathBuf>,
    },
    /// Copy a keel binary with a config embedded (appended, in a read-only segment), replacing any
    /// config embedded before.
    Embed {
        /// The binary config to embed, from `build`.
        #[arg(long)]
        config: PathBuf,
        /// The keel binary to copy.
        #[arg(long)]
        keel: PathBuf,
        /// Where to write the new keel binary (mode 0755).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Convert an OCI runtime bundle's config.json into keel's TOML (or, with --binary, the
    /// binary config). Every field keel cannot express is named on stderr.
    FromOci {
        /// The bundle's config.json, or - for stdin (root.path is then relative to the
        /// current directory).
        config: PathBuf,
        /// Where to write the result, or - for stdout.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
        /// Write the binary config instead of TOML.
        #[arg(long)]
        binary: bool,
        /// Fail, writing nothing, when a field cannot be expressed, instead of warning.
        #[arg(long)]
        strict: bool,
    },
    /// Print the JSON Schema of the TOML config, for editors (taplo, Even Better TOML).
    Schema,
    /// Write the manual pages into DIR: keel(1), keel.toml(5), keel-gen(1) and one per
    /// subcommand.
    Man {
        /// The directory, created if missing.
        dir: PathBuf,
    },
    /// Print a completion script for keel-gen.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Build { input, output } => build(&input, &output),
        Command::Inspect { file, keel } => match (file, keel) {
            (_, Some(keel)) => features(&keel),
            (Some(file), None) => inspect(&file),
            (None, None) => unreachable!("clap requires FILE without --keel"),
        },
        Command::Embed {
            config,
            keel,
            output,
        } => embed(&config, &keel, &output),
        Command::FromOci {
            config,
            output,
            binary,
            strict,
        } => from_oci(&config, &output, binary, strict),
        Command::Schema => schema(),
        Command::Man { dir } => man(&dir),
        Command::Completions { shell } => completions(shell),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Nothing more can be done if stderr is gone.
            let _ = writeln!(io::stderr(), "keel-gen: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build(input: &Path, output: &Path) -> Result<(), String> {
    let text = String::from_utf8(read(input)?)
        .map_err(|_| format!("{}: not UTF-8 text", input_name(input)))?;
    let source = Source {
        name: input_name(input),
        text,
    };
    write(output, &compile(&source)?)
}

/// The binary config for a TOML document, its warnings printed.
fn compile(source: &Source) -> Result<Vec<u8>, String> {
    let Built { bytes, warnings } = keel_gen::compile(source)?;
    for warning in warnings {
        eprintln!("keel-gen: warning: {warning}");
    }
    Ok(bytes)
}

fn from_oci(config: &Path, output: &Path, binary: bool, strict: bool) -> Result<(), String> {
    let name = input_name(config);
    let json = read(config)?;
    let bundle = match config.parent() {
        Some(dir) if !is_stdio(config) => dir,
        _ => Path::new(""),
    };
    let converted = keel_gen::from_oci(&json, &name, bundle)?;
    for warning in &converted.unexpressed {
        // Nothing more can be done if stderr is gone.
        let _ = writeln!(io::stderr(), "keel-gen: from-oci: {warning}");
    }
    if strict && !converted.unexpressed.is_empty() {
        return Err(format!(
            "from-oci: {name}: --strict: {} field(s) above cannot be expressed in keel's config",
            converted.unexpressed.len()
        ));
    }
    // The result must build, exactly as printed.
    let bytes = compile(&converted.source)?;
    if binary {
        write(output, &bytes)
    } else {
        write(output, converted.source.text.as_bytes())
    }
}

fn schema() -> Result<(), String> {
    let text = keel_gen::json_schema::text();
    write(Path::new("-"), text.as_bytes())
}

fn man(dir: &Path) -> Result<(), String> {
    keel_gen::man::write_pages(Cli::command(), dir)
}

fn completions(shell: clap_complete::Shell) -> Result<(), String> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "keel-gen", &mut script);
    write(Path::new("-"), &script)
}

fn inspect(file: &Path) -> Result<(), String> {
    let toml = keel_gen::inspect(&read(file)?, &input_name(file))?;
    write(Path::new("-"), toml.as_bytes())
}

fn features(keel: &Path) -> Result<(), String> {
    let text = keel_gen::keel_features(&read(keel)?, &input_name(keel))?;
    write(Path::new("-"), text.as_bytes())
}

fn embed(config: &Path, keel: &Path, output: &Path) -> Result<(), String> {
    let binary = keel_gen::embed(
        &read(config)?,
        &input_name(config),
        &read(keel)?,
        &input_name(keel),
    )?;
    write(output, &binary)?;
    if !is_stdio(output) {
        fs::set_permissions(output, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", output.display()))?;
    }
    Ok(())
}

fn is_stdio(path: &Path) -> bool {
    path == Path::new("-")
}

/// How errors name an input file.
fn input_name(path: &Path) -> String {
    if is_stdio(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let result = if is_stdio(path) {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        fs::read(path)
    };
    result.map_err(|e| format!("{}: {e}", input_name(path)))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if is_stdio(path) {
        let mut stdout = io::stdout().lock();
        stdout
            .write_all(bytes)
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("<stdout>: {e}"))
    } else {
        fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}
